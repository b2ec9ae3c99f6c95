"""Kafka subscriber: a routed report opens a case; the outbox publishes its first status change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aduan_shared.consuming import Subscriptions
from aduan_shared.events import (
    ReportRouted,
    ReportState,
    StatusChanged,
    derived_event_id,
)
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_disposition.adapters.cases import CaseStore
from aduan_disposition.domain import SYSTEM_ROUTER, Case, open_case
from aduan_disposition.outbox import Outbox

log = get_logger(__name__)


@dataclass
class Deps:
    cases: CaseStore
    outbox: Outbox
    metrics: ServiceMetrics


def case_opened_event(routed: ReportRouted, case: Case) -> StatusChanged:
    arrived = case.history[-1]
    return StatusChanged(
        event_id=derived_event_id(routed.event_id, "case-opened"),
        occurred_at=arrived.at,
        report_id=uuid.UUID(case.report_id),
        correlation_id=routed.correlation_id,
        from_state=ReportState.RECEIVED,
        to_state=case.state,
        unit_id=case.unit_id,
        actor=SYSTEM_ROUTER,
        note=arrived.note,
        version=1,
        tracking_code=case.tracking_code,
        channel=case.channel,
        category=case.category,
        reporter_ref=case.reporter_ref,
        kelurahan_kode=case.kelurahan.kode if case.kelurahan else None,
    )


async def open_from_routed(deps: Deps, routed: ReportRouted) -> Case:
    """Create the case with its opening event idempotently, then publish its outbox (a case
    opened now: that event, without reading it back)."""
    opened = open_case(routed)
    event = case_opened_event(routed, opened)
    case, created = await deps.cases.create(opened, event)
    await deps.outbox.flush(case.report_id, written=[event] if created else None)
    return case


def create_router(deps: Deps) -> KafkaRouter:
    subscriptions = Subscriptions("disposition")
    opened_total = deps.metrics.counter(
        "cases_opened_total", "Cases opened from routed reports", ("state",)
    )

    @subscriptions.on(ReportRouted)
    async def on_routed(routed: ReportRouted) -> None:
        """Open the case of a routed report (a redelivery finds it open: no second event)."""
        case = await open_from_routed(deps, routed)
        opened_total.labels(case.state.value).inc()
        log.info("case_opened", unit_id=case.unit_id, state=case.state.value)

    return subscriptions.router()
