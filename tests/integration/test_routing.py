"""Routing on real Kafka and the real database: text locations, the routing table, duplicates."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from aduan_devstack.services import wait_all_ready


def submit(platform: Any, **fields: Any) -> dict[str, str]:
    body = {"channel": "jaki", "external_id": f"route-{uuid.uuid4()}", **fields}
    headers = {"X-Api-Key": json.loads(platform.env["INTAKE_API_KEYS"])["jaki"]}
    r = httpx.post(platform.url("intake", "/v1/reports"), json=body, headers=headers, timeout=15)
    assert r.status_code == 202, r.text
    return r.json()  # type: ignore[no-any-return]


def test_text_location_and_classified_category(platform: Any) -> None:
    accepted = submit(
        platform,
        description="Got mampet, air meluap ke jalan. Lokasi: kelurahan pejatn timur, pasar minggu",
    )
    c = platform.case(accepted["report_id"])
    assert c["state"] == "waiting"
    assert c["kelurahan"]["name"] == "Pejaten Timur"
    assert c["category"] == "Saluran Air/Banjir"
    assert c["unit_id"] == f"kelurahan:{c['kelurahan']['kode']}"


def test_category_goes_to_the_sudin_of_the_kota(platform: Any) -> None:
    accepted = submit(
        platform,
        category="Parkir Liar",
        description="ojol ngetem",
        location={"lat": -6.26418, "lon": 106.8193},
    )
    c = platform.case(accepted["report_id"])
    assert c["unit_id"] == "sudin:dishub:31.74"
    assert c["unit_name"] == "Suku Dinas Perhubungan Jakarta Selatan"


def test_second_report_nearby_is_a_possible_duplicate_across_a_restart(platform: Any) -> None:
    spot = {"lat": -6.246957, "lon": 106.817167}  # Pela Mampang
    first = submit(platform, category="Sampah", description="Sampah numpuk", location=spot)
    platform.case(first["report_id"])
    geo = platform.procs["geo-router"]  # what it remembers is in the database, not in memory
    geo.kill()
    geo.spawn()
    wait_all_ready([geo], timeout=90)
    near = {"lat": spot["lat"] + 0.0002, "lon": spot["lon"]}  # ~22 m north
    second = submit(platform, category="Sampah", description="sampah bau", location=near)
    c = platform.case(second["report_id"])
    assert c["possible_duplicate_of"] == first["report_id"]
    elsewhere = submit(
        platform,
        category="Sampah",
        description="sampah",
        location={"lat": spot["lat"] + 0.002, "lon": spot["lon"]},
    )  # ~220 m
    assert platform.case(elsewhere["report_id"])["possible_duplicate_of"] is None
