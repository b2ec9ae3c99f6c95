"""Analytics' read models on the real database: replaying the events gives the same numbers, and
no public answer carries a reporter's personal data.

The events go straight to the read model (the Kafka path is covered by the platform journeys);
every public endpoint is read through the real API, with the cache off.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aduan_analytics.adapters.readmodel import MongoReadModel
from aduan_analytics.api import PublicData, create_api
from aduan_analytics.cache import TtlCache
from aduan_shared.areas_geojson import simplified_areas
from aduan_shared.cityconfig import load_city, read_areas
from aduan_shared.errors import install_problem_handlers
from aduan_shared.events import (
    Actor,
    AreaRef,
    Event,
    Location,
    ReportRated,
    ReportReceived,
    ReportRouted,
    ReportState,
    SlaBreached,
    StatusChanged,
)
from aduan_shared.mongo import Document, create_mongo_client
from aduan_shared.settings import MongoSettings
from aduan_shared.webassets import Payload
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")
REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 16, 9, tzinfo=WIB)
BANGKA = AreaRef(kode="31.74.03.1002", name="Bangka")
MAMPANG = AreaRef(kode="31.74.03", name="Mampang Prapatan")
JAKSEL = AreaRef(kode="31.74", name="Jakarta Selatan")
GAMBIR = AreaRef(kode="31.71.01.1001", name="Gambir")
GAMBIR_KEC = AreaRef(kode="31.71.01", name="Gambir")
JAKPUS = AreaRef(kode="31.71", name="Jakarta Pusat")
KEL_BANGKA = "kelurahan:31.74.03.1002"
KEL_GAMBIR = "kelurahan:31.71.01.1001"

#: Personal data that must never leave the read model through a public door.
CANARIES = ("3174012345678901", "0812-9988-7766", "siti.canary@example.id", "Sitirahma")
CANARY_TEXT = (
    "Jalan berlubang besar di depan gang. NIK saya 3174012345678901, WA 0812-9988-7766, "
    "email siti.canary@example.id, nama saya Sitirahma Wulandari."
)


def report_events(
    n: int, area: tuple[AreaRef, AreaRef, AreaRef], unit: str, category: str, public: bool
) -> list[Event]:
    """A report's whole life: received, routed, waiting, in progress, done, rated, or fewer."""
    rid = uuid.uuid4()
    at = T0 + timedelta(hours=5 * n)
    kel, kec, kota = area

    def base(kind: str, v: int, when: datetime) -> dict[str, Any]:
        return {
            "event_id": uuid.uuid5(rid, f"{kind}:{v}"),
            "occurred_at": when,
            "report_id": rid,
            "correlation_id": f"corr-{rid}",
        }

    code = f"JKT-{rid.hex[:8].upper()}"
    location = Location(lat=-6.2551234, lon=106.8154321, source="gps")
    events: list[Event] = [
        ReportReceived(
            **base("received", 0, at),
            tracking_code=code,
            channel="jaki",
            category=category,
            description=CANARY_TEXT,
            location=location,
            address_text="Jl. Bangka Raya no. 7, rumah Sitirahma",
            reporter_ref=f"ref-{rid}",
            visibility="public" if public else "private",
            submitted_at=at,
        ),
        ReportRouted(
            **base("routed", 0, at + timedelta(seconds=1)),
            category=category,
            category_source="given",
            kelurahan=kel,
            kecamatan=kec,
            kota=kota,
            unit_id=unit,
            method="polygon",
            needs_coordination=False,
            recurrence_of=uuid.uuid4() if n % 3 == 0 else None,
            tracking_code=code,
            channel="jaki",
            description=CANARY_TEXT,
            location=location,
            reporter_ref=f"ref-{rid}",
            visibility="public" if public else "private",
            submitted_at=at,
        ),
    ]
    states = [ReportState.WAITING, ReportState.IN_PROGRESS, ReportState.DONE][: 1 + n % 3]
    prev: ReportState | None = ReportState.RECEIVED
    for v, state in enumerate(states, start=1):
        events.append(
            StatusChanged(
                **base("status", v, at + timedelta(hours=10 * v)),
                from_state=prev,
                to_state=state,
                unit_id=unit,
                actor=Actor(role="unit_officer", id="officer-canary"),
                version=v,
                tracking_code=code,
                category=category,
                reporter_ref=f"ref-{rid}",
                note=f"dihubungi via 0812-9988-7766 (v{v})",
            )
        )
        prev = state
    if prev is ReportState.DONE:
        events.append(
            ReportRated(
                **base("rated", 0, at + timedelta(days=2)),
                stars=4 + n % 2,
                unit_id=unit,
                tracking_code=code,
                version=len(states),
            )
        )
    elif n % 2:
        events.append(
            SlaBreached(
                **base("breach", 0, at + timedelta(days=6)),
                assignment_id=f"{rid}:1",
                unit_id=unit,
                official_id="nip:canary",
                kind="response",
                deadline=at + timedelta(days=6),
                days_elapsed=6,
            )
        )
    return events


def all_events() -> list[Event]:
    out: list[Event] = []
    for n in range(12):
        bangka = n % 4 != 0
        area = (BANGKA, MAMPANG, JAKSEL) if bangka else (GAMBIR, GAMBIR_KEC, JAKPUS)
        out += report_events(
            n,
            area,
            KEL_BANGKA if bangka else KEL_GAMBIR,
            "Jalan Rusak" if n % 2 else "Sampah",
            public=n % 3 != 1,
        )
    return out


async def apply(model: MongoReadModel, events: list[Event]) -> None:
    for e in events:
        if isinstance(e, ReportReceived):
            await model.received(e)
        elif isinstance(e, ReportRouted):
            await model.routed(e)
        elif isinstance(e, StatusChanged):
            await model.status_changed(e)
        elif isinstance(e, ReportRated):
            await model.rated(e)
        elif isinstance(e, SlaBreached):
            await model.breached(e)


@pytest.fixture
async def db(servers: Any) -> AsyncIterator[AsyncDatabase[Document]]:
    settings = MongoSettings.model_validate({"MONGODB_URL": servers.mongo_url})
    client = create_mongo_client(settings, "analytics-test")
    name = f"aduan_analytics_test_{uuid.uuid4().hex[:8]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


@pytest.fixture(scope="module")
def city() -> Any:
    return load_city(REPO / "config" / "cities" / "jakarta")


@pytest.fixture(scope="module")
def polygons(city: Any) -> dict[str, Any]:
    return simplified_areas(city)


def api_app(model: MongoReadModel, city: Any, polygons: dict[str, Any]) -> FastAPI:
    async def areas() -> dict[str, Any]:
        return polygons

    data = PublicData(
        model=model,
        units=city.units(read_areas(city)),
        areas=areas,
        kotas=[{"kode": "31.74", "name": "Jakarta Selatan"}],
        area_names={"31.74": "Jakarta Selatan", "31.71": "Jakarta Pusat"},
        categories=["Jalan Rusak", "Sampah"],
        tz=WIB,
        today=lambda: date(2026, 11, 22),
    )
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_api(data, TtlCache[Payload](0)))
    return app


PATHS = (
    "/v1/public/summary",
    "/v1/public/summary?kota=31.74&category=Sampah",
    "/v1/public/timeseries?from=2026-11-16&to=2026-11-22",
    "/v1/public/by-category",
    "/v1/public/by-kelurahan",
    "/v1/public/by-channel",
    "/v1/public/by-area?level=kota",
    "/v1/public/by-area?level=kecamatan",
    "/v1/public/units",
    "/v1/public/reports",
    "/v1/public/reports?bbox=106.8,-6.3,106.9,-6.2&category=Sampah",
    "/v1/public/export.csv",
    "/v1/public/export.geojson",
)


async def read_all(app: FastAPI) -> dict[str, str]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        out = {}
        for path in PATHS:
            r = await c.get(path)
            assert r.status_code == 200, (path, r.text)
            out[path] = r.text
        return out


async def test_replaying_the_events_changes_no_number(
    db: AsyncDatabase[Document], city: Any, polygons: dict[str, Any]
) -> None:
    model = MongoReadModel(db, WIB)
    await model.ensure_indexes()
    events = all_events()
    await apply(model, events)
    app = api_app(model, city, polygons)
    first = await read_all(app)
    await apply(model, events)  # the topic replayed from the start
    shuffled = events[:]
    random.Random(6).shuffle(shuffled)
    await apply(model, shuffled)  # and redelivered out of order
    assert await read_all(app) == first

    summary = json.loads(first["/v1/public/summary"])
    assert summary["total"] == 12
    counts = {s["state"]: s["count"] for s in summary["states"]}
    assert (counts["waiting"], counts["in_progress"], counts["done"]) == (4, 4, 4)
    assert summary["resolution"]["count"] == 4 and summary["resolution"]["median_hours"] == 30.0
    assert summary["private_reports"] == 4
    filtered = json.loads(first["/v1/public/summary?kota=31.74&category=Sampah"])
    assert filtered["total"] == 3  # n = 2, 6, 10
    units = {u["unit_id"]: u for u in json.loads(first["/v1/public/units"])["units"]}
    bangka = units[KEL_BANGKA]
    assert (bangka["assignments"], bangka["reports"]) == (9, 9)
    assert bangka["breached"] == 4  # the odd n not done: 1, 3, 7, 9
    assert bangka["on_time_ratio"] == round(5 / 9, 4)
    assert bangka["recurrence_rate"] == round(3 / 9, 4)  # n = 3, 6, 9
    assert bangka["average_rating"] == 4.67  # n = 2, 5, 11 rated 4, 5, 5
    kota = json.loads(first["/v1/public/by-area?level=kota"])["areas"]
    assert [(a["key"], a["name"], a["count"]) for a in kota] == [
        ("31.74", "Jakarta Selatan", 9),
        ("31.71", "Jakarta Pusat", 3),
    ]
    kec = json.loads(first["/v1/public/by-area?level=kecamatan"])["areas"]
    assert [(a["key"], a["count"]) for a in kec] == [("31.74.03", 9), ("31.71.01", 3)]
    channels = json.loads(first["/v1/public/by-channel"])["channels"]
    assert [(c["key"], c["count"], c["done"]) for c in channels] == [("jaki", 12, 4)]
    kel = json.loads(first["/v1/public/by-kelurahan"])
    by_kode = {f["properties"]["kode"]: f["properties"]["count"] for f in kel["features"]}
    assert by_kode["31.74.03.1002"] == 9 and by_kode["31.71.01.1001"] == 3
    days = json.loads(first["/v1/public/timeseries?from=2026-11-16&to=2026-11-22"])["days"]
    assert sum(d["received"] for d in days) == 12 and sum(d["done"] for d in days) == 4
    reports = json.loads(first["/v1/public/reports"])["reports"]
    assert len(reports) == 8
    assert {r["lat"] for r in reports} == {-6.255} and {r["lon"] for r in reports} == {106.815}


async def test_no_public_answer_carries_personal_data(
    db: AsyncDatabase[Document], city: Any, polygons: dict[str, Any]
) -> None:
    model = MongoReadModel(db, WIB)
    await apply(model, all_events())
    answers = await read_all(api_app(model, city, polygons))
    for path, body in answers.items():
        for canary in (*CANARIES, "ref-", "officer-canary", "nip:canary", "Jl. Bangka Raya"):
            assert canary not in body, f"{canary!r} leaked through {path}"
    assert "[disamarkan]" in answers["/v1/public/reports"]
    # Nor is the raw text anywhere in analytics' database.
    async for doc in db["reports"].find({}):
        text = repr(doc)
        assert not any(c in text for c in CANARIES), doc


async def test_bad_filters_are_clear_422s(
    db: AsyncDatabase[Document], city: Any, polygons: dict[str, Any]
) -> None:
    app = api_app(MongoReadModel(db, WIB), city, polygons)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        cases = {
            "/v1/public/summary?from=2026-11-20&to=2026-11-01": "`from` must not be after `to`",
            "/v1/public/reports?bbox=106.9,-6.3": "bbox must be west,south,east,north",
            "/v1/public/timeseries?from=2024-01-01&to=2026-01-01": "at most 366 days",
            "/v1/public/timeseries?bucket=week": "bucket",
            "/v1/public/by-category?kota=DROP%20TABLE": "kota",
        }
        for path, detail in cases.items():
            r = await c.get(path)
            assert r.status_code == 422, path
            assert r.headers["content-type"].startswith("application/problem+json"), path
            assert detail in r.text, (path, r.text)
