"""Intake follows each report's status from `aduan.report.status-changed.v1`: its subscriber in
FastStream's TestKafkaBroker with an in-memory store. The version rule on the real MongoDB
(`MongoReportStore.record_status`) is tested in tests/integration/test_open311.py."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aduan_intake.adapters.store import ReportStatus, StoredReport
from aduan_intake.handlers import StatusDeps, create_router
from aduan_intake.open311_domain import Open311Catalog, Service, request_json
from aduan_shared.events import (
    REPORT_STATUS_CHANGED,
    Actor,
    ReportReceived,
    ReportState,
    StatusChanged,
    dlq_topic,
)
from aduan_shared.service import service_core
from aduan_shared.settings import ServiceSettings
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import generate_latest

KNOWN = uuid.uuid4()
BANGKA_UNIT = "kelurahan:31.74.03.1002"
CATALOG = Open311Catalog(
    (Service("jalan", "Jalan", "Kelurahan"), Service("sampah", "Sampah", "Kelurahan")),
    {BANGKA_UNIT: "Kelurahan Bangka"},
)


class Statuses:
    """`record_status` in memory, with the contract's rule: only a newer version applies, and
    only to a report intake holds."""

    def __init__(self, *known: uuid.UUID) -> None:
        self.known = {str(k) for k in known}
        self.status: dict[str, ReportStatus] = {}
        self.calls: list[ReportStatus] = []

    async def record_status(self, report_id: str, status: ReportStatus) -> bool:
        self.calls.append(status)
        current = self.status.get(report_id)
        if report_id not in self.known or (current and current.version >= status.version):
            return False
        if current and status.category is None:
            status = replace(status, category=current.category)
        self.status[report_id] = status
        return True


class Harness:
    def __init__(self) -> None:
        self.core = service_core("intake", ServiceSettings())
        self.store = Statuses(KNOWN)
        self.core.broker.include_router(create_router(StatusDeps(self.store, self.core.metrics)))  # type: ignore[arg-type]
        self.dead: list[bytes] = []

        async def raw(msg: KafkaMessage) -> bytes:
            return msg.body

        @self.core.broker.subscriber(dlq_topic(REPORT_STATUS_CHANGED), group_id="t", decoder=raw)
        async def collect_dead(body: bytes) -> None:
            self.dead.append(body)

    async def send(self, br: Any, *events: StatusChanged) -> None:
        for e in events:
            await br.publish(e.model_dump_json().encode(), topic=e.TOPIC, key=e.key)

    def counted(self, outcome: str) -> float:
        text = generate_latest(self.core.metrics.registry).decode()
        line = f'aduan_intake_status_changes_total{{outcome="{outcome}"}} '
        return next((float(x.split()[-1]) for x in text.splitlines() if x.startswith(line)), 0.0)


def change(to: ReportState, version: int, report: uuid.UUID = KNOWN, **more: Any) -> StatusChanged:
    return StatusChanged(
        event_id=uuid.uuid5(report, f"{to}:{version}"),
        occurred_at=datetime(2026, 11, 22, 3, version, tzinfo=UTC),
        report_id=report,
        correlation_id="c",
        from_state=None,
        to_state=to,
        unit_id=BANGKA_UNIT,
        actor=Actor(role="system", id="t"),
        version=version,
        **more,
    )


@pytest.fixture
def harness() -> Harness:
    return Harness()


async def test_the_subscriber_records_state_version_time_and_unit(harness: Harness) -> None:
    due = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)
    async with TestKafkaBroker(harness.core.broker) as br:
        await harness.send(br, change(ReportState.WAITING, 1, category="Jalan"))
        await harness.send(br, change(ReportState.SCHEDULED, 3, estimated_completion=due))
    status = harness.store.status[str(KNOWN)]
    assert (status.state, status.version, status.unit_id) == (
        ReportState.SCHEDULED,
        3,
        BANGKA_UNIT,
    )
    assert status.at == datetime(2026, 11, 22, 3, 3, tzinfo=UTC)
    assert status.expected_at == due
    assert status.category == "Jalan"  # kept from the routing, as the Mongo store keeps it
    assert harness.counted("applied") == 2


async def test_stale_and_duplicate_events_change_nothing(harness: Harness) -> None:
    progress = change(ReportState.IN_PROGRESS, 3)
    async with TestKafkaBroker(harness.core.broker) as br:
        await harness.send(br, progress, change(ReportState.WAITING, 2), progress)
    assert harness.store.status[str(KNOWN)].state == ReportState.IN_PROGRESS
    assert len(harness.store.calls) == 3  # every delivery was handled, none raised
    assert (harness.counted("applied"), harness.counted("ignored")) == (1, 2)
    assert harness.dead == []


async def test_a_report_intake_does_not_hold_is_ignored(harness: Harness) -> None:
    async with TestKafkaBroker(harness.core.broker) as br:
        await harness.send(br, change(ReportState.WAITING, 1, report=uuid.uuid4()))
    assert harness.store.status == {}
    assert harness.counted("ignored") == 1


async def test_an_unreadable_event_goes_to_the_dlq(harness: Harness) -> None:
    async with TestKafkaBroker(harness.core.broker) as br:
        await br.publish(b'{"to_state": "flying"}', topic=REPORT_STATUS_CHANGED)
    assert harness.dead == [b'{"to_state": "flying"}']
    assert harness.store.calls == []


def test_the_subscriber_joins_intakes_own_consumer_group(harness: Harness) -> None:
    groups = {topic.name: s.group_id for s in harness.core.broker.subscribers for topic in s.topics}
    assert groups[REPORT_STATUS_CHANGED] == "aduan-intake"


@pytest.mark.parametrize(
    ("state", "status", "notes"),
    [
        (ReportState.WAITING, "open", "Menunggu"),
        (ReportState.COORDINATION, "open", "Koordinasi"),
        (ReportState.IN_PROGRESS, "open", "Proses"),
        (ReportState.VERIFICATION, "open", "Menunggu Verifikasi"),
        (ReportState.DONE, "closed", "Selesai"),
        (ReportState.REJECTED, "closed", "Ditolak"),
    ],
)
async def test_states_map_to_open_or_closed(
    harness: Harness, state: ReportState, status: str, notes: str
) -> None:
    async with TestKafkaBroker(harness.core.broker) as br:
        await harness.send(br, change(state, 2, category="Sampah"))
    event = ReportReceived(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2026, 11, 22, tzinfo=UTC),
        report_id=KNOWN,
        correlation_id="c",
        tracking_code="JKT-FOLLOW22",
        channel="open311",
        category=None,  # classified by the geo-router: the status event names it
        description="sampah numpuk",
        submitted_at=datetime(2026, 11, 22, tzinfo=UTC),
    )
    stored = StoredReport(event, harness.store.status[str(KNOWN)])
    shown = request_json(stored, CATALOG, public=False)
    assert (shown["status"], shown["status_notes"]) == (status, notes)
    assert (shown["service_code"], shown["service_name"]) == ("sampah", "Sampah")
    assert shown["agency_responsible"] == "Kelurahan Bangka"
    assert shown["updated_datetime"] == "2026-11-22T03:02:00Z"
