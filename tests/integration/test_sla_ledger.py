"""The SLA monitor as a service on a fake clock, on real Kafka and the database: two replicas,
each warning and breach on the topics exactly once, the ledger over HTTP, and the replay command
rebuilding byte for byte the same CSV from the topics alone.

The scenario happens in a random month centuries ahead, so no other test's reports share the
ledger month, and the platform's own sla-monitor (on the real clock) never sees its deadlines
pass. The two replicas form a fresh consumer group that starts at the topics' current end, so they
record only this test's events.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_devstack.kafka import ensure_topics_async
from aduan_shared.auth import issue_dev_token
from aduan_shared.events import (
    ALL_DLQ_TOPICS,
    ALL_TOPICS,
    REPORT_ROUTED,
    REPORT_STATUS_CHANGED,
    SLA_BREACHED,
    SLA_WARNING,
    Actor,
    ReportState,
    SlaBreached,
    SlaWarning,
    StatusChanged,
)
from aduan_shared.mongo import Document, create_mongo_client
from aduan_sla_monitor.app import create_app
from aduan_sla_monitor.calendars import JAKARTA
from aduan_sla_monitor.config import Settings
from aduan_testkit.kafka import start_group_at_end as kafka_start_group_at_end
from aduan_testkit.ledger import replay_ledger
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration

S = ReportState
SECRET = "sla-ledger-test-secret-0123456789abcdef"
JAKARTA_CONFIG = Path(__file__).resolve().parents[2] / "config" / "cities" / "jakarta"
BANGKA = "kelurahan:31.74.03.1002"  # its heads come from units.yaml
SUDIN = "sudin:bina-marga:31.74"  # no head listed: a placeholder official
YEAR = random.Random().randint(2200, 2999)
MONTH = f"{YEAR}-03"
T0 = datetime(YEAR, 3, 4, 10, tzinfo=JAKARTA)


def day(d: float) -> datetime:
    return T0 + timedelta(days=d)


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def change(
    report: uuid.UUID,
    version: int,
    frm: S | None,
    to: S,
    at: datetime,
    unit: str = BANGKA,
    **extra: Any,
) -> StatusChanged:
    return StatusChanged(
        event_id=uuid.uuid5(report, str(version)),
        occurred_at=at,
        report_id=report,
        correlation_id=f"sla-ledger-{report}",
        from_state=frm,
        to_state=to,
        unit_id=unit,
        actor=Actor(role="unit_officer", id="officer"),
        version=version,
        tracking_code=f"JKT-{str(report)[:8].upper()}",
        category="Jalan Rusak",
        **extra,
    )


NEVER, MISSED, HANDLED, REJECTED, MERGED = (uuid.uuid4() for _ in range(5))
#: (clock instant, the events that happened by then), in order.
PHASES: list[tuple[datetime, list[StatusChanged]]] = [
    (
        day(1.5),
        [
            change(NEVER, 1, S.RECEIVED, S.WAITING, day(0)),
            change(MISSED, 1, S.RECEIVED, S.WAITING, day(0), unit=SUDIN),
            change(MISSED, 2, S.WAITING, S.IN_PROGRESS, day(1), unit=SUDIN),
            change(HANDLED, 1, S.RECEIVED, S.WAITING, day(0)),
            change(HANDLED, 2, S.WAITING, S.IN_PROGRESS, day(0.5)),
            change(HANDLED, 3, S.IN_PROGRESS, S.SCHEDULED, day(1), estimated_completion=day(16)),
            change(REJECTED, 1, S.RECEIVED, S.WAITING, day(0)),
            change(MERGED, 1, S.RECEIVED, S.WAITING, day(0)),
        ],
    ),
    (
        day(4.5),
        [
            change(
                MISSED,
                3,
                S.IN_PROGRESS,
                S.SCHEDULED,
                day(2),
                unit=SUDIN,
                estimated_completion=day(3),
            ),
            change(REJECTED, 2, S.WAITING, S.REJECTED, day(3), note="bukan wewenang"),
        ],
    ),
    (
        day(8),
        [
            change(MERGED, 2, S.WAITING, S.REJECTED, day(7), duplicate_of=NEVER),
        ],
    ),
]


@pytest.fixture
def settings(servers: Any) -> Settings:
    name = f"sla-ledger-{uuid.uuid4().hex[:8]}"
    return Settings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
            "MONGODB_URL": servers.mongo_url,
            "AUTH_JWT_SECRET": SECRET,
            "ADUAN_CITY_DIR": str(JAKARTA_CONFIG),
            "service_name": name,
            "mongodb_database": f"aduan_{name.replace('-', '_')}",
            "scan_interval_s": 0.2,
            "gauges_interval_s": 0.2,
        }
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase[Document]]:
    client = create_mongo_client(settings, "sla-ledger-test")
    yield client[settings.mongodb_database]
    await client.drop_database(settings.mongodb_database)
    await client.close()


async def start_group_at_end(bootstrap: str, group: str) -> None:
    await ensure_topics_async(bootstrap, [*ALL_TOPICS, *ALL_DLQ_TOPICS])
    await kafka_start_group_at_end(bootstrap, group, [REPORT_ROUTED, REPORT_STATUS_CHANGED])


async def publish(bootstrap: str, events: list[StatusChanged]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for e in events:
            await producer.send_and_wait(
                e.TOPIC, e.model_dump_json().encode(), key=str(e.report_id).encode()
            )
    finally:
        await producer.stop()


async def recorded(db: AsyncDatabase[Document], events: list[StatusChanged]) -> None:
    """Wait until the replicas have stored every one of `events`."""
    want = {(str(e.report_id), str(e.version)) for e in events}
    for _ in range(300):
        have = {
            (str(doc["_id"]), v)
            async for doc in db["reports"].find({}, {"events": 1})
            for v in doc.get("events", {})
        }
        if want <= have:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"not recorded within 30 s: {sorted(want - have)}")


async def signals_on_topics(bootstrap: str, reports: set[str]) -> list[SlaWarning | SlaBreached]:
    consumer = AIOKafkaConsumer(
        SLA_WARNING, SLA_BREACHED, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[SlaWarning | SlaBreached] = []
    try:
        quiet = 0
        while quiet < 6:  # 3 s without a new record: the topics are read to their end
            batches = await consumer.getmany(timeout_ms=500)
            quiet = 0 if batches else quiet + 1
            for tp, records in batches.items():
                model = SlaBreached if tp.topic == SLA_BREACHED else SlaWarning
                for r in records:
                    event = model.model_validate_json(r.value or b"")
                    if str(event.report_id) in reports:
                        found.append(event)
    finally:
        await consumer.stop()
    return found


async def scrape(app: FastAPI) -> list[tuple[str, dict[str, str], float]]:
    """The samples of a replica's `/metrics`."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sla"
    ) as client:
        text = (await client.get("/metrics")).text
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


async def test_two_replicas_on_a_fake_clock_signal_once_and_the_replay_rebuilds_the_ledger(
    settings: Settings, db: AsyncDatabase[Document]
) -> None:
    bootstrap = settings.kafka_bootstrap_servers
    await start_group_at_end(bootstrap, f"aduan-{settings.service_name}")
    clock = FakeClock(T0)
    replicas: list[FastAPI] = [create_app(settings, now=clock) for _ in range(2)]
    async with AsyncExitStack() as stack:
        for app in replicas:
            await stack.enter_async_context(app.router.lifespan_context(app))
        for at, events in PHASES:
            await publish(bootstrap, events)
            await recorded(db, events)
            clock.at = at
            await asyncio.sleep(1.5)  # several scans of both replicas at this instant
        ours = {str(r) for r in (NEVER, MISSED, HANDLED, REJECTED, MERGED)}
        signals = await signals_on_topics(bootstrap, ours)
        headers = {
            "Authorization": f"Bearer {issue_dev_token(SECRET, sub='kepala', roles=['leader'])}"
        }
        query = {"month": MONTH, "as_of": clock.at.isoformat()}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=replicas[1]), base_url="http://sla"
        ) as client:
            ledger = (await client.get("/v1/sla/ledger", params=query, headers=headers)).json()
            served_csv = await client.get(
                "/v1/sla/ledger", params=query, headers={**headers, "Accept": "text/csv"}
            )
            case = (await client.get(f"/v1/sla/cases/{MERGED}", headers=headers)).json()
        metrics = [await scrape(app) for app in replicas]

    # Exactly once, across two replicas scanning every 0.2 s: NEVER's two warnings and breach,
    # MISSED's estimate, MERGED's first warning; none for the one handled in time, the one
    # rejected on day 3, nor MERGED's breach (merged as a duplicate after its deadline).
    summary = sorted(
        (str(e.report_id), e.event_type, e.kind, getattr(e, "warning_at_days", None))
        for e in signals
    )
    assert summary == sorted(
        [
            (str(NEVER), "aduan.sla.warning", "response", 4),
            (str(NEVER), "aduan.sla.warning", "response", 5),
            (str(NEVER), "aduan.sla.breached", "response", None),
            (str(MISSED), "aduan.sla.breached", "estimate_missed", None),
            (str(MERGED), "aduan.sla.warning", "response", 4),  # before it was merged on day 7
        ]
    )
    breach = next(e for e in signals if e.report_id == NEVER and isinstance(e, SlaBreached))
    assert breach.deadline == day(6) and breach.official_id == "nip:198506062010012003"
    assert breach.official_name == "Lurah Bangka" and breach.tracking_code

    # The ledger: the Lurah for NEVER, the Sudin's placeholder head for MISSED, 10% each.
    officials = ledger["officials"]
    assert [(o["official_id"], o["breach_count"], o["cut_percent"]) for o in officials] == [
        (f"head:{SUDIN}", 1, 10),
        ("nip:198506062010012003", 1, 10),
    ]
    assert case["assignments"][0]["state"] == "exempt"
    # The replicas' counters add up to the events on the topics.
    sent: Counter[tuple[str, str]] = Counter()
    for samples in metrics:
        for name, labels, value in samples:
            if name == "aduan_sla_monitor_signals_sent_total":
                sent[(labels["type"], labels["kind"])] += int(value)
    assert sent == {
        ("warning", "response"): 3,
        ("breached", "response"): 1,
        ("breached", "estimate_missed"): 1,
    }

    # The replay: the real command, reading the topics from the start.
    stdout, stderr = await replay_ledger(bootstrap, MONTH, clock.at.isoformat(), JAKARTA_CONFIG)
    assert stdout == served_csv.content
    assert len(served_csv.text.splitlines()) == 3
    assert b"2 breaches in " + MONTH.encode() in stderr
