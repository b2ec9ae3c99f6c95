"""The outbox: a change written but not published (broker down, process killed right after the
write) still reaches Kafka, in version order, once things are back."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_devstack.infra import ensure_topics
from aduan_devstack.services import wait_all_ready
from aduan_disposition.adapters.cases import MongoCaseStore
from aduan_disposition.app import create_app
from aduan_disposition.commands import Command
from aduan_disposition.config import Settings
from aduan_disposition.domain import open_case
from aduan_disposition.handlers import case_opened_event
from aduan_disposition.lifecycle import apply
from aduan_disposition.workflow import status_event
from aduan_shared.auth import Principal, issue_dev_token
from aduan_shared.events import (
    REPORT_STATUS_CHANGED,
    ReportRouted,
    StatusChanged,
    derived_event_id,
    tracking_code_for,
)
from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr
from pymongo import AsyncMongoClient

REPO = Path(__file__).resolve().parents[2]
BANGKA = "kelurahan:31.74.03.1002"
BANGKA_AT = (-6.26418, 106.8193)


async def events_on_kafka(
    bootstrap: str, report_id: str, version: int, within_s: float = 60
) -> list[StatusChanged]:
    """Every status-changed event of the report on the topic (all deliveries, in topic order),
    read from the beginning until `version` was seen."""
    consumer = AIOKafkaConsumer(
        REPORT_STATUS_CHANGED,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[StatusChanged] = []
    try:
        async with asyncio.timeout(within_s):
            while not any(e.version >= version for e in found):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for r in records:
                        if r.key == report_id.encode():
                            found.append(StatusChanged.model_validate_json(r.value))
    except TimeoutError:
        pytest.fail(f"version {version} of {report_id} not on Kafka: {[e.version for e in found]}")
    finally:
        await consumer.stop()
    return found


def in_order_without_gaps(events: list[StatusChanged]) -> list[int]:
    """Versions by first delivery; a redelivery must repeat an event exactly."""
    first: dict[int, StatusChanged] = {}
    for e in events:
        if e.version in first:
            assert first[e.version] == e, "a republished event differs from the first"
        first.setdefault(e.version, e)
    return list(first)


def routed() -> ReportRouted:
    rid = uuid.uuid4()
    now = datetime.now(UTC)
    return ReportRouted.model_validate(
        {
            "event_id": derived_event_id(rid, "routed"),
            "occurred_at": now,
            "report_id": rid,
            "correlation_id": "it-outbox",
            "category": "Jalan",
            "category_source": "given",
            "kelurahan": {"kode": "31.74.03.1002", "name": "Bangka"},
            "unit_id": BANGKA,
            "unit_name": "Kelurahan Bangka",
            "method": "polygon",
            "needs_coordination": False,
            "tracking_code": tracking_code_for(rid),
            "channel": "jaki",
            "submitted_at": now,
            "reporter_ref": "rep-outbox",
        }
    )


async def test_events_written_by_a_process_that_died_before_publishing_are_published_at_start(
    servers: Any,
) -> None:
    """The write of a process that died before its publish: the case and its outbox are in
    the database, nothing on Kafka. The next process publishes them when it starts."""
    ensure_topics(servers.kafka_bootstrap, [REPORT_STATUS_CHANGED])
    name = f"it_outbox_{uuid.uuid4().hex[:8]}"
    client: AsyncMongoClient[Any] = AsyncMongoClient(
        servers.mongo_url, uuidRepresentation="standard", tz_aware=True
    )
    store = MongoCaseStore(client[name])
    event = routed()
    case = open_case(event)
    await store.create(case, case_opened_event(event, case))
    officer = Principal("o-1", "O", frozenset({"unit_officer"}), BANGKA)
    now = datetime.now(UTC)
    units: dict[str, Any] = {}
    for i, command in enumerate(
        [
            Command(action="accept"),
            Command(action="schedule", note="besok", estimated_completion=now + timedelta(days=2)),
        ]
    ):
        t = apply(case, command, actor=officer, units=units, now=now + timedelta(seconds=i))
        await store.replace(t.case, case.version, status_event(t, "it-outbox"))
        case = t.case
    assert [e.version for e in await store.outbox(case.report_id)] == [1, 2, 3]

    settings = Settings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_url=SecretStr(servers.mongo_url),
        mongodb_database=name,
        city_dir=REPO / "config" / "cities" / "jakarta",
        consume_routed=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        published = await events_on_kafka(servers.kafka_bootstrap, case.report_id, 3)
        assert in_order_without_gaps(published) == [1, 2, 3]
        for _ in range(50):  # acknowledged events leave the outbox
            if not await store.outbox(case.report_id):
                break
            await asyncio.sleep(0.1)
        assert await store.outbox(case.report_id) == []
    await client.drop_database(name)
    await client.close()


def killable_kafka(platform: Any) -> Any:
    kafka = platform.servers.local_kafka
    if kafka is None:
        pytest.fail(
            "this test stops the broker: run it against the local one (unset "
            "KAFKA_BOOTSTRAP_SERVERS) so the test may kill it",
            pytrace=False,
        )
    return kafka


async def test_broker_down_then_disposition_killed_after_the_write(platform: Any) -> None:
    """Officers keep working while Kafka is down (200s, written); the process is then killed
    with those events unpublished; Kafka and the process come back: the events arrive, in
    order, exactly as they were written."""
    kafka = killable_kafka(platform)
    disposition = platform.procs["disposition"]
    http = httpx.AsyncClient(timeout=30)
    rid, _ = await platform.submit(http, "Jalan berlubang", BANGKA_AT, tag="outbox")
    assert (await asyncio.to_thread(platform.case, rid))["state"] == "waiting"
    secret = platform.env["AUTH_JWT_SECRET"]
    officer = issue_dev_token(secret, sub="o-1", roles=["unit_officer"], unit_id=BANGKA)
    url = platform.url("disposition", f"/v1/cases/{rid}/transitions")
    steps = [
        {"action": "accept"},
        {"action": "hand_over", "note": "bukan kewenangan kelurahan"},
    ]

    kafka.kill()
    try:
        for version, body in enumerate(steps, start=1):
            began = time.monotonic()
            headers = {"Authorization": f"Bearer {officer}", "If-Match": f'"{version}"'}
            r = await http.post(url, json=body, headers=headers)
            assert r.status_code == 200, r.text  # the write is committed; the publish waits
            assert time.monotonic() - began < 4  # the request did not wait for the broker
        disposition.kill()  # the unpublished events exist only in the database now
    finally:
        await http.aclose()
        await asyncio.to_thread(kafka.start)
    disposition.spawn()
    await asyncio.to_thread(wait_all_ready, [disposition], 120)

    published = await events_on_kafka(platform.servers.kafka_bootstrap, rid, 3, within_s=90)
    assert in_order_without_gaps(published) == [1, 2, 3]
    by_version = {e.version: e for e in published}
    assert (by_version[2].to_state.value, by_version[3].to_state.value) == (
        "in_progress",
        "coordination",
    )
    assert by_version[3].note == "bukan kewenangan kelurahan"
    assert (await asyncio.to_thread(platform.case, rid))["version"] == 3
