"""Public figures (pure): shares per state, percentiles, unit compliance, public report views.

Nothing here reads the database or the clock; the read model hands in counts and rows.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aduan_shared.cityconfig import Unit
from aduan_shared.events import ReportState


@dataclass(frozen=True)
class PublicFilter:
    """What the public page filters by: received day range (city time), kota, category."""

    since: date | None = None
    until: date | None = None
    kota: str | None = None
    category: str | None = None

    def key(self) -> tuple[str, ...]:
        return (str(self.since), str(self.until), str(self.kota), str(self.category))


def share(n: int, total: int) -> float:
    return round(100 * n / total, 1) if total else 0.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def resolution(hours: Sequence[float]) -> dict[str, Any]:
    """Received → done: how many, median and p90 hours (one decimal)."""

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 1)

    return {
        "count": len(hours),
        "median_hours": r(percentile(hours, 50)),
        "p90_hours": r(percentile(hours, 90)),
    }


def summary(counts: Mapping[str, int], hours: Sequence[float] = ()) -> dict[str, Any]:
    """Totals and the share of each state, like Jakarta's "96% selesai, 2% koordinasi, ...",
    and the resolution times."""
    total = sum(counts.values())
    states = [
        {
            "state": state.value,
            "label": state.label,
            "count": counts.get(state.value, 0),
            "share": share(counts.get(state.value, 0), total),
        }
        for state in ReportState
    ]
    res = resolution(hours)
    return {
        "total": total,
        "states": states,
        "resolution": res,
        "median_resolution_hours": res["median_hours"],
    }


def by_category(
    counts: Mapping[str | None, int], done: Mapping[str | None, int]
) -> list[dict[str, Any]]:
    """Per category: reports, share of all, done; most reported first."""
    total = sum(counts.values())
    rows = [
        {
            "category": name or "Belum dikategorikan",
            "count": n,
            "share": share(n, total),
            "done": done.get(name, 0),
        }
        for name, n in counts.items()
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["category"]))


def counted(
    counts: Mapping[Any, int], done: Mapping[Any, int], names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Rows `{key, name, count, share, done}` (most first), for channels, kota, kecamatan."""
    total = sum(counts.values())
    rows = [
        {
            "key": key,
            "name": (names or {}).get(str(key), key) if key is not None else None,
            "count": n,
            "share": share(n, total),
            "done": done.get(key, 0),
        }
        for key, n in counts.items()
    ]
    return sorted(rows, key=lambda r: (-r["count"], str(r["key"])))


def timeseries(
    received: Mapping[str, int], done: Mapping[str, int], since: date, until: date
) -> list[dict[str, Any]]:
    """One row per day from `since` to `until` (inclusive), zeros included."""
    days = (until - since).days + 1
    out = []
    for i in range(max(days, 0)):
        d = date.fromordinal(since.toordinal() + i).isoformat()
        out.append({"date": d, "received": received.get(d, 0), "done": done.get(d, 0)})
    return out


@dataclass(frozen=True)
class UnitFigures:
    """What the read model counted for one unit."""

    stays: int = 0  # arrivals of reports at the unit (its assignments)
    breached: int = 0  # of those, breached (response or estimate)
    reports: int = 0  # reports routed to it first
    recurrent: int = 0  # of those, a recurrence of an earlier finished report
    ratings: int = 0
    stars: int = 0


def unit_compliance(
    figures: Mapping[str, UnitFigures], units: Mapping[str, Unit]
) -> list[dict[str, Any]]:
    """SLA compliance per unit, best first: on-time ratio (assignments not breached), recurrence
    rate, average rating. Units with no assignment are left out; the admin pool and the verifier
    are never ranked."""
    rows = []
    for unit_id, f in figures.items():
        unit = units.get(unit_id)
        if f.stays == 0 or (unit is not None and unit.kind in {"admin_pool", "verifier"}):
            continue
        rows.append(
            {
                "unit_id": unit_id,
                "name": unit.name if unit else unit_id,
                "kind": unit.kind if unit else unit_id.split(":", 1)[0],
                "assignments": f.stays,
                "breached": f.breached,
                "on_time_ratio": round((f.stays - min(f.breached, f.stays)) / f.stays, 4),
                "reports": f.reports,
                "recurrence_rate": round(f.recurrent / f.reports, 4) if f.reports else None,
                "ratings": f.ratings,
                "average_rating": round(f.stars / f.ratings, 2) if f.ratings else None,
            }
        )
    return sorted(rows, key=lambda r: (-r["on_time_ratio"], -r["assignments"], r["unit_id"]))


# --- public reports -----------------------------------------------------------------------------

PUBLIC_FIELDS = (
    "tracking_code",
    "category",
    "state",
    "state_label",
    "kelurahan",
    "kecamatan",
    "kota",
    "received_date",
    "description",
    "lat",
    "lon",
)


def public_report(doc: Mapping[str, Any], tz: Any) -> dict[str, Any]:
    """A public report as anyone may see it: stored already redacted and rounded (the read
    model never keeps the raw text or position), no reporter or officer, the day only."""
    received: datetime | None = doc.get("received_at")
    state = ReportState(doc.get("state", "received"))
    return {
        "tracking_code": doc.get("tracking_code"),
        "category": doc.get("category"),
        "state": state.value,
        "state_label": state.label,
        "kelurahan": doc.get("kelurahan_name"),
        "kecamatan": doc.get("kecamatan_name"),
        "kota": doc.get("kota_name"),
        "received_date": received.astimezone(tz).date().isoformat() if received else None,
        "description": doc.get("description"),
        "lat": doc.get("lat"),
        "lon": doc.get("lon"),
    }


def reports_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PUBLIC_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in PUBLIC_FIELDS})
    return out.getvalue()


def reports_geojson(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
                if row.get("lat") is not None and row.get("lon") is not None
                else None,
                "properties": {k: row.get(k) for k in PUBLIC_FIELDS if k not in {"lat", "lon"}},
            }
            for row in rows
        ],
    }


def kelurahan_geojson(
    areas: Mapping[str, Any], counts: Mapping[str, int], done: Mapping[str, int]
) -> dict[str, Any]:
    """The city's (simplified) kelurahan polygons with each one's report and done counts."""
    features = []
    for feature in areas["features"]:
        kode = feature["properties"]["kode"]
        features.append(
            {
                **feature,
                "properties": {
                    **feature["properties"],
                    "count": counts.get(kode, 0),
                    "done": done.get(kode, 0),
                },
            }
        )
    return {**areas, "features": features, "total": sum(counts.values())}
