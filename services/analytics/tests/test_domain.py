"""Public figures (pure): shares, percentiles, timeseries, unit compliance, public views."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from aduan_analytics.domain import (
    UnitFigures,
    by_category,
    kelurahan_geojson,
    percentile,
    public_report,
    reports_csv,
    reports_geojson,
    summary,
    timeseries,
    unit_compliance,
)
from aduan_shared.cityconfig import Unit
from aduan_shared.events import ReportState

WIB = ZoneInfo("Asia/Jakarta")


def test_shares_per_state_like_jakartas_page() -> None:
    result = summary({"done": 96, "coordination": 2, "waiting": 2})
    assert result["total"] == 100
    shares = {s["state"]: (s["count"], s["share"], s["label"]) for s in result["states"]}
    assert shares["done"] == (96, 96.0, "Selesai")
    assert shares["coordination"] == (2, 2.0, "Koordinasi")
    assert shares["rejected"] == (0, 0.0, "Ditolak")
    assert len(result["states"]) == 9


def test_empty_city_has_zero_shares_and_no_resolution_time() -> None:
    result = summary({})
    assert result["total"] == 0
    assert all(s["share"] == 0.0 for s in result["states"])
    assert result["resolution"] == {"count": 0, "median_hours": None, "p90_hours": None}


def test_resolution_median_and_p90() -> None:
    hours = [float(h) for h in range(1, 11)]  # 1..10 hours
    result = summary({"done": 10}, hours)
    assert result["resolution"] == {"count": 10, "median_hours": 5.5, "p90_hours": 9.1}
    assert result["median_resolution_hours"] == 5.5


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([3.0], 50, 3.0),
        ([1.0, 2.0], 50, 1.5),
        ([4.0, 1.0, 3.0, 2.0], 0, 1.0),
        ([1.0, 9.0], 100, 9.0),
    ],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


def test_categories_most_reported_first_with_the_uncategorised_named() -> None:
    rows = by_category({"Banjir": 3, None: 1, "Jalan Rusak": 6}, {"Jalan Rusak": 2})
    assert [(r["category"], r["count"], r["share"], r["done"]) for r in rows] == [
        ("Jalan Rusak", 6, 60.0, 2),
        ("Banjir", 3, 30.0, 0),
        ("Belum dikategorikan", 1, 10.0, 0),
    ]


def test_timeseries_has_every_day_with_zeros() -> None:
    rows = timeseries({"2026-11-20": 4}, {"2026-11-21": 1}, date(2026, 11, 20), date(2026, 11, 22))
    assert rows == [
        {"date": "2026-11-20", "received": 4, "done": 0},
        {"date": "2026-11-21", "received": 0, "done": 1},
        {"date": "2026-11-22", "received": 0, "done": 0},
    ]


def test_unit_compliance_ranks_by_on_time_ratio_and_leaves_the_pool_out() -> None:
    units = {
        "kelurahan:1": Unit("kelurahan:1", "Kelurahan Satu", "kelurahan"),
        "sudin:sda:31.74": Unit("sudin:sda:31.74", "Suku Dinas SDA", "sudin"),
        "crm-admin": Unit("crm-admin", "Admin CRM", "admin_pool"),
    }
    figures = {
        "kelurahan:1": UnitFigures(stays=4, breached=1, reports=4, recurrent=1, ratings=2, stars=9),
        "sudin:sda:31.74": UnitFigures(stays=2, breached=0),
        "crm-admin": UnitFigures(stays=5),
        "kelurahan:idle": UnitFigures(reports=1),
    }
    rows = unit_compliance(figures, units)
    assert [(r["unit_id"], r["on_time_ratio"]) for r in rows] == [
        ("sudin:sda:31.74", 1.0),
        ("kelurahan:1", 0.75),
    ]
    kel = rows[1]
    assert (kel["name"], kel["recurrence_rate"], kel["average_rating"]) == (
        "Kelurahan Satu",
        0.25,
        4.5,
    )
    assert rows[0]["average_rating"] is None and rows[0]["recurrence_rate"] is None


def public_doc() -> dict[str, object]:
    return {
        "_id": "r1",
        "tracking_code": "JKT-AAAA1111",
        "category": "Jalan Rusak",
        "state": "in_progress",
        "kelurahan_name": "Bangka",
        "kecamatan_name": "Mampang Prapatan",
        "kota_name": "Jakarta Selatan",
        "received_at": datetime(2026, 11, 21, 18, 30, tzinfo=UTC),  # 22 Nov in Jakarta
        "description": "Jalan berlubang, hubungi [disamarkan]",
        "lat": -6.255,
        "lon": 106.815,
        "reporter_ref": "never-shown",
        "unit_id": "kelurahan:31.74.03.1002",
    }


def test_public_report_shows_the_day_and_nothing_of_people() -> None:
    row = public_report(public_doc(), WIB)
    assert row["received_date"] == "2026-11-22"
    assert (row["state"], row["state_label"]) == ("in_progress", ReportState.IN_PROGRESS.label)
    assert "reporter_ref" not in row and "unit_id" not in row and "_id" not in row


def test_exports_carry_the_public_fields_only() -> None:
    row = public_report(public_doc(), WIB)
    text = reports_csv([row])
    header, line = text.splitlines()
    assert header.startswith("tracking_code,category,state,")
    assert "never-shown" not in text and "JKT-AAAA1111" in line
    geo = reports_geojson([row])
    (feature,) = geo["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [106.815, -6.255]}
    assert "lat" not in feature["properties"]


def test_kelurahan_counts_join_the_polygons() -> None:
    areas = {
        "type": "FeatureCollection",
        "bbox": [0, 0, 1, 1],
        "features": [
            {"type": "Feature", "properties": {"kode": "a", "name": "A"}, "geometry": None},
            {"type": "Feature", "properties": {"kode": "b", "name": "B"}, "geometry": None},
        ],
    }
    body = kelurahan_geojson(areas, {"a": 3}, {"a": 1})
    assert [f["properties"]["count"] for f in body["features"]] == [3, 0]
    assert [f["properties"]["done"] for f in body["features"]] == [1, 0]
    assert body["total"] == 3 and body["bbox"] == [0, 0, 1, 1]
    assert "count" not in areas["features"][0]["properties"]  # the cached polygons untouched
