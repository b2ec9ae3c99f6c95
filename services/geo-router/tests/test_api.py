"""GET /v1/route and /v1/areas/kelurahan on the assembled app (Jakarta's configuration)."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aduan_geo_router.app import create_app
from aduan_geo_router.config import Settings

JAKARTA_CONFIG = Path(__file__).resolve().parents[3] / "config" / "cities" / "jakarta"


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(city_dir=JAKARTA_CONFIG))  # nothing connects without the lifespan
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://geo") as c:
        yield c


async def test_route_returns_the_routing_part(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/route", params={"lat": -6.26418, "lon": 106.8193})
    assert r.status_code == 200
    assert r.json() == {
        "category": "Lainnya",
        "kelurahan": {"kode": "31.74.03.1002", "name": "Bangka"},
        "kecamatan": {"kode": "31.74.03", "name": "Mampang Prapatan"},
        "kota": {"kode": "31.74", "name": "Jakarta Selatan"},
        "unit_id": "kelurahan:31.74.03.1002",
        "unit_name": "Kelurahan Bangka",
        "method": "polygon",
        "distance_m": 0.0,
        "needs_coordination": False,
        "reason": None,
    }


async def test_route_follows_the_category(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/v1/route", params={"lat": -6.26418, "lon": 106.8193, "category": "Parkir Liar"}
    )
    assert r.json()["unit_id"] == "sudin:dishub:31.74"
    assert r.json()["unit_name"] == "Suku Dinas Perhubungan Jakarta Selatan"


async def test_far_outside_is_coordination(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/route", params={"lat": -6.0, "lon": 105.5})).json()
    assert body["needs_coordination"] and body["reason"] == "outside_area"
    assert body["unit_id"] is None and body["method"] == "none"


@pytest.mark.parametrize("lat", ["NaN", "inf", "-91", "abc", ""])
async def test_bad_coordinates_are_422(client: httpx.AsyncClient, lat: str) -> None:
    r = await client.get("/v1/route", params={"lat": lat, "lon": 106.8})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "lat" in r.json()["detail"]


async def test_areas_are_the_267_kelurahan(client: httpx.AsyncClient) -> None:
    data = (await client.get("/v1/areas/kelurahan")).json()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 267
    assert {"kode", "kelurahan", "kecamatan", "kota"} <= set(data["features"][0]["properties"])
