"""Kafka subscriber: a routed report opens a case, then its first status change is published."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aduan_shared.events import (
    REPORT_ROUTED,
    ReportRouted,
    ReportState,
    StatusChanged,
    derived_event_id,
)
from aduan_shared.kafka import Publisher, subscriber_options
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_disposition.adapters.cases import CaseStore
from aduan_disposition.domain import SYSTEM_ROUTER, Case, open_case

log = get_logger(__name__)


@dataclass
class Deps:
    cases: CaseStore
    publisher: Publisher
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


def create_router(deps: Deps) -> KafkaRouter:
    router = KafkaRouter()
    opened_total = deps.metrics.counter(
        "cases_opened_total", "Cases opened from routed reports", ("state",)
    )

    @router.subscriber(
        REPORT_ROUTED, title=f"{REPORT_ROUTED}:open-case", **subscriber_options("disposition")
    )
    async def on_routed(routed: ReportRouted) -> None:
        """Create the case idempotently, then announce it (a redelivery republishes the same id)."""
        case = await deps.cases.create(open_case(routed))
        await deps.publisher.publish(case_opened_event(routed, case))
        opened_total.labels(case.state.value).inc()
        log.info("case_opened", unit_id=case.unit_id, state=case.state.value)

    return router
