"""Open311 on the running platform (intake follows status-changed from the real Kafka), and the
intake store's status and listing queries on the real MongoDB."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aduan_intake.adapters.store import MongoReportStore, ReportQuery, ReportStatus
from aduan_shared.events import Location, ReportReceived, ReportState
from aduan_shared.mongo import Document
from aduan_testkit import eventually
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Platform = Any  # the `platform` fixture of conftest.py


def post_request(platform: Platform, **fields: str) -> str:
    bangka = platform.kelurahan_point("Bangka")
    data = {
        "api_key": json.loads(platform.env["INTAKE_API_KEYS"])["open311"],
        "service_code": "jalan",
        "lat": bangka["lat"],
        "long": bangka["lon"],
        "description": "Jalan bolong di depan sekolah, bahaya buat motor",
        "email": "warga@example.id",
        "device_id": "civic-app-device-1",
    } | fields
    r = httpx.post(platform.url("intake", "/open311/v2/requests.json"), data=data, timeout=15)
    assert r.status_code == 200, r.text
    [answer] = r.json()
    return str(answer["service_request_id"])


def test_an_open311_request_follows_its_status_from_kafka(platform: Platform) -> None:
    services = httpx.get(platform.url("intake", "/open311/v2/services.json")).json()
    assert "jalan" in {s["service_code"] for s in services}
    code = post_request(platform)

    def routed() -> dict[str, Any] | None:
        r = httpx.get(platform.url("intake", f"/open311/v2/requests/{code}.json"))
        assert r.status_code == 200, r.text
        [request] = r.json()
        return request if request["status_notes"] == "Menunggu" else None

    request = eventually(routed)  # geo-router → disposition → status-changed → intake
    assert request["status"] == "open"
    assert request["agency_responsible"] == "Kelurahan Bangka"
    assert (request["service_code"], request["service_name"]) == ("jalan", "Jalan")
    assert request["updated_datetime"] >= request["requested_datetime"]
    # A private report: its code holder sees the status, never the text or the place.
    assert request["description"] is None and request["lat"] is None


def test_a_public_request_is_listed_with_the_filters(platform: Platform) -> None:
    public = post_request(platform, **{"attribute[visibility]": "public"})
    private = post_request(platform)
    url = platform.url("intake", "/open311/v2/requests.json")

    def listed() -> list[dict[str, Any]] | None:
        found = httpx.get(url, params={"service_code": "jalan", "status": "open"}).json()
        mine = [r for r in found if r["service_request_id"] == public]
        return mine if mine and mine[0]["status_notes"] == "Menunggu" else None

    [request] = eventually(listed)
    assert request["description"] == "Jalan bolong di depan sekolah, bahaya buat motor"
    assert request["lat"] == round(request["lat"], 3)
    everything = httpx.get(url).text
    assert private not in everything and "warga@example.id" not in everything
    closed = httpx.get(url, params={"status": "closed"}).json()
    assert public not in {r["service_request_id"] for r in closed}


# --- the store on the real MongoDB ---------------------------------------------------------------


@pytest.fixture
async def store(servers: Any) -> AsyncIterator[MongoReportStore]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        servers.mongo_url, uuidRepresentation="standard", tz_aware=True
    )
    name = f"aduan_test_{uuid.uuid4().hex[:8]}"
    db: AsyncDatabase[Document] = client[name]
    reports = MongoReportStore(db)
    await reports.ensure_indexes()
    await reports.ensure_status_indexes()
    yield reports
    await client.drop_database(name)
    await client.close()


def received(code: str, category: str | None, at: datetime, public: bool = True) -> ReportReceived:
    return ReportReceived(
        event_id=uuid.uuid4(),
        occurred_at=at,
        report_id=uuid.uuid4(),
        correlation_id="c",
        tracking_code=code,
        channel="open311",
        category=category,
        description=f"laporan {code}",
        location=Location(lat=-6.26418, lon=106.8193),
        visibility="public" if public else "private",
        submitted_at=at,
    )


def status(state: ReportState, version: int, category: str | None = None) -> ReportStatus:
    at = datetime(2026, 11, 22, 3, version, tzinfo=UTC)
    return ReportStatus(state, version, at, "kelurahan:31.74.03.1002", category=category)


async def test_status_versions_apply_in_order_only(store: MongoReportStore) -> None:
    event = received("JKT-ORDER234", "Jalan", datetime.now(UTC))
    await store.accept(event)
    rid = str(event.report_id)
    assert await store.record_status(rid, status(ReportState.IN_PROGRESS, 3, "Jalan"))
    assert not await store.record_status(rid, status(ReportState.WAITING, 2))  # late
    assert not await store.record_status(rid, status(ReportState.IN_PROGRESS, 3))  # again
    assert await store.record_status(rid, status(ReportState.DONE, 4))
    found = await store.by_tracking_code("JKT-ORDER234")
    assert found is not None and found.status is not None
    assert (found.status.state, found.status.version) == (ReportState.DONE, 4)
    assert found.status.at == datetime(2026, 11, 22, 3, 4, tzinfo=UTC)
    assert found.status.category == "Jalan"  # kept when a later event names none
    assert found.event == event
    # A report intake does not hold is not created by its status.
    assert not await store.record_status(str(uuid.uuid4()), status(ReportState.WAITING, 1))
    assert await store.by_tracking_code("JKT-NOTHERE") is None


async def test_the_public_listing_query(store: MongoReportStore) -> None:
    now = datetime.now(UTC)
    events = {
        "JKT-A1": received("JKT-A1", "Jalan", now - timedelta(days=1)),
        "JKT-B10": received("JKT-B10", "Sampah", now - timedelta(days=10)),
        "JKT-C60": received("JKT-C60", None, now - timedelta(days=60)),
        "JKT-D120": received("JKT-D120", "Jalan", now - timedelta(days=120)),
        "JKT-P2": received("JKT-P2", "Jalan", now - timedelta(days=2), public=False),
    }
    for event in events.values():
        await store.accept(event)
    rid = {code: str(e.report_id) for code, e in events.items()}
    await store.record_status(rid["JKT-B10"], status(ReportState.REJECTED, 2))
    await store.record_status(rid["JKT-C60"], status(ReportState.WAITING, 1, "Jalan"))

    async def codes(**query: Any) -> list[str]:
        q = ReportQuery(**({"start": now - timedelta(days=90), "end": now} | query))
        return [r.event.tracking_code for r in await store.public_reports(q)]

    assert await codes() == ["JKT-A1", "JKT-B10", "JKT-C60"]
    assert await codes(categories=("Jalan",)) == ["JKT-A1", "JKT-C60"]  # C60: its routed one
    assert await codes(closed=True) == ["JKT-B10"]
    assert await codes(closed=False) == ["JKT-A1", "JKT-C60"]
    assert await codes(start=now - timedelta(days=130), end=now - timedelta(days=50)) == [
        "JKT-C60",
        "JKT-D120",
    ]
    exact = events["JKT-B10"].submitted_at
    assert await codes(start=exact, end=exact) == ["JKT-B10"]  # both ends included
    assert await codes(limit=2) == ["JKT-A1", "JKT-B10"]
    assert sorted(await codes(tracking_codes=("JKT-D120", "JKT-P2", "JKT-A1"))) == [
        "JKT-A1",
        "JKT-D120",
    ]  # a private report is never listed
