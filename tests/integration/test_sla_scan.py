"""Two sla-monitor scanners on real Kafka and MongoDB, with a fake clock: one event per signal."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from aduan_shared.cityconfig import Head
from aduan_shared.events import (
    SLA_BREACHED,
    SLA_WARNING,
    Actor,
    Event,
    ReportRouted,
    ReportState,
    SlaBreached,
    SlaWarning,
    StatusChanged,
)
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.mongo import Document, create_mongo_client
from aduan_shared.service import service_core
from aduan_sla_monitor.adapters.store import MongoClockIndex, MongoReportStore, MongoSignalStore
from aduan_sla_monitor.calendars import JAKARTA, SlaPolicy
from aduan_sla_monitor.config import Settings
from aduan_sla_monitor.handlers import Deps, record
from aduan_sla_monitor.scanner import Scanner
from aiokafka import AIOKafkaConsumer
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 17, 10, tzinfo=JAKARTA)
POLICY = SlaPolicy()
S = ReportState
SUDIN = "sudin:sda:31.74"


@pytest.fixture
def settings(servers: Any) -> Settings:
    return Settings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
            "MONGODB_URL": servers.mongo_url,
            "mongodb_database": f"aduan_sla_test_{uuid.uuid4().hex[:8]}",
        }
    )


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[AsyncDatabase[Document]]:
    client = create_mongo_client(settings, "sla-test")
    yield client[settings.mongodb_database]
    await client.drop_database(settings.mongodb_database)
    await client.close()


def change(
    report: uuid.UUID,
    version: int,
    frm: ReportState,
    to: ReportState,
    at: datetime,
    unit: str,
    role: str = "system",
) -> StatusChanged:
    """Version `version` of `report`: `frm` → `to` at `at`, at `unit`."""
    return StatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=at,
        report_id=report,
        correlation_id="c",
        from_state=frm,
        to_state=to,
        unit_id=unit,
        actor=Actor(role=role, id="t"),
        version=version,
    )


def head_of(unit_id: str, at: datetime) -> Head:
    return Head(official_id=f"head:{unit_id}", name=f"Kepala {unit_id}", **{"from": date.min})


async def collect(bootstrap: str, report_id: str, expected: int) -> list[SlaWarning | SlaBreached]:
    """The report's SLA events on the topics, waiting for `expected` and a little more."""
    consumer = AIOKafkaConsumer(
        SLA_WARNING,
        SLA_BREACHED,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[SlaWarning | SlaBreached] = []
    loop = asyncio.get_running_loop()
    try:
        until = loop.time() + 30
        while loop.time() < until:
            batches = await consumer.getmany(timeout_ms=500)
            for tp, records in batches.items():
                for r in records:
                    model = SlaBreached if tp.topic == SLA_BREACHED else SlaWarning
                    event = model.model_validate_json(r.value)
                    if str(event.report_id) == report_id:
                        found.append(event)
            if len(found) >= expected:
                until = min(until, loop.time() + 3)  # long enough to see a duplicate
    finally:
        await consumer.stop()
    return found


async def test_two_scanners_send_one_event_per_signal(
    settings: Settings, db: AsyncDatabase[Document]
) -> None:
    report = uuid.uuid4()
    reports = MongoReportStore(db)
    signals = MongoSignalStore(db)
    await reports.ensure_indexes()
    await signals.ensure_indexes()
    clocks = MongoClockIndex(db)
    deps = Deps(reports, clocks, ServiceMetrics("sla-two-scanners-test"), POLICY)
    await record(
        deps,
        change(
            report,
            1,
            ReportState.RECEIVED,
            ReportState.WAITING,
            T0,
            "kelurahan:3171011001",
            "system",
        ),
    )
    now = T0 + timedelta(days=7)  # the fake clock: past both warnings and the deadline
    cores = [service_core(f"sla-monitor-{i}", settings) for i in range(2)]
    scanners = [
        Scanner(
            MongoReportStore(core.db),
            MongoSignalStore(core.db),
            core.publisher(SlaWarning, SlaBreached),
            POLICY,
            head_of,
            now=lambda: now,
        )
        for core in cores
    ]
    for core in cores:
        await core.broker.start()
    try:
        results = await asyncio.gather(*(s.scan() for s in scanners), *(s.scan() for s in scanners))
    finally:
        for core in cores:
            await core.broker.stop()
            await core.mongo.close()
    assert sum(r.claimed for r in results) == 3
    assert sum(r.published for r in results) == 3
    events = await collect(settings.kafka_bootstrap_servers, str(report), 3)
    keys = sorted((e.event_type, getattr(e, "warning_at_days", None)) for e in events)
    assert keys == [
        ("aduan.sla.breached", None),
        ("aduan.sla.warning", 4),
        ("aduan.sla.warning", 5),
    ]
    breach = next(e for e in events if isinstance(e, SlaBreached))
    assert breach.deadline == T0 + timedelta(days=6)
    assert breach.official_id == "head:kelurahan:3171011001"
    rows = await signals.for_report(str(report))
    assert len(rows) == 3 and all(r.published for r in rows)


async def test_routing_and_clock_index_on_the_real_database(db: AsyncDatabase[Document]) -> None:
    """The routing is stored as version 0 beside the status changes; the clock index answers
    the ledger's and the gauges' queries."""
    reports, clocks = MongoReportStore(db), MongoClockIndex(db)
    await reports.ensure_indexes()
    await clocks.ensure_indexes()
    late, on_time = uuid.uuid4(), uuid.uuid4()
    routed = ReportRouted(
        event_id=uuid.uuid4(),
        occurred_at=T0,
        report_id=late,
        correlation_id="c",
        category="Jalan Rusak",
        category_source="given",
        unit_id="kelurahan:3171011001",
        method="polygon",
        needs_coordination=False,
        tracking_code="JKT-ROUTED01",
        channel="jaki",
    )
    deps = Deps(reports, clocks, ServiceMetrics("sla-index-test"), POLICY)
    await record(deps, routed)
    await record(
        deps,
        change(
            on_time, 1, ReportState.RECEIVED, ReportState.WAITING, T0, "sudin:sda:31.74", "system"
        ),
    )
    await record(
        deps,
        change(
            on_time,
            2,
            ReportState.WAITING,
            ReportState.SCHEDULED,
            T0 + timedelta(days=1),
            "sudin:sda:31.74",
            "unit_officer",
        ),
    )
    stored = await reports.events(str(late))
    assert stored is not None and [type(e) for e in stored] == [ReportRouted]
    assert await clocks.reports_due_in("2026-11") == sorted([str(late), str(on_time)])
    assert await clocks.reports_due_in("2026-12") == []
    # the gauges' backlog, counted by the server: the running clock, aged as of each instant
    # (a bucket holds ages from its lower bound up to, not including, its upper bound)
    for days, bucket in ((0.5, "0-1d"), (1, "1-3d"), (2.9, "1-3d"), (3, "3-4d"), (6, "6d+")):
        assert await clocks.open_backlog(T0 + timedelta(days=days)) == {("kelurahan", bucket): 1}
    outcomes = await clocks.outcomes(T0, T0 + timedelta(days=30))
    assert outcomes == {("kelurahan", "running"): 1, ("sudin", "on_time"): 1}


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[Event] = []

    async def publish(self, event: Event) -> None:
        self.sent.append(event)


async def test_a_scan_reads_only_the_reports_with_a_point_due(
    db: AsyncDatabase[Document],
) -> None:
    """`due_from` on the real server: a report whose first warning is still ahead is not read;
    one recorded before `due_from` existed is read once; the next wake-up is the earliest
    point still ahead."""
    reports, clocks, signals = MongoReportStore(db), MongoClockIndex(db), MongoSignalStore(db)
    deps = Deps(reports, clocks, ServiceMetrics("sla-due-test"), POLICY)
    due, ahead, legacy = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    unit = "kelurahan:3171011001"
    await record(deps, change(due, 1, ReportState.RECEIVED, ReportState.WAITING, T0, unit))
    later = T0 + timedelta(days=3)
    await record(deps, change(ahead, 1, ReportState.RECEIVED, ReportState.WAITING, later, unit))
    opened = change(legacy, 1, ReportState.RECEIVED, ReportState.WAITING, later, unit)
    await db["reports"].insert_one(  # as the sla-monitor stored it before `due_from`
        {
            "_id": str(legacy),
            "events": {"1": opened.model_dump(mode="json")},
            "scan": True,
            "rev": 1,
        }
    )
    await reports.ensure_indexes()
    now = T0 + timedelta(days=4, hours=1)  # past the first report's first warning only
    publisher = RecordingPublisher()
    scanner = Scanner(reports, signals, publisher, POLICY, head_of, now=lambda: now)
    first = await scanner.scan()
    assert first.reports == 2 and first.claimed == 1  # the due one and the legacy one
    assert [type(e) for e in publisher.sent] == [SlaWarning]
    assert first.next_due == T0 + timedelta(days=5)  # the due report's second warning
    again = await scanner.scan()
    assert again.reports == 0 and again.claimed == 0  # nothing fell due since
    docs = {d["_id"]: d async for d in db["reports"].find({}, {"due_from": 1, "scan": 1})}
    assert docs[str(ahead)]["due_from"] == later + timedelta(days=4)
    assert docs[str(legacy)]["due_from"] == later + timedelta(days=4)
