"""Kafka subscriber: status changes open assignments with their deadlines."""

from __future__ import annotations

from dataclasses import dataclass

from aduan_shared.events import REPORT_STATUS_CHANGED, StatusChanged
from aduan_shared.kafka import subscriber_options
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_sla_monitor.adapters.assignments import AssignmentStore
from aduan_sla_monitor.domain import assignment_opened

log = get_logger(__name__)


@dataclass
class Deps:
    assignments: AssignmentStore
    metrics: ServiceMetrics
    response_days: float


def create_router(deps: Deps) -> KafkaRouter:
    router = KafkaRouter()
    opened_total = deps.metrics.counter("assignments_opened_total", "Assignments opened")

    @router.subscriber(
        REPORT_STATUS_CHANGED,
        title=f"{REPORT_STATUS_CHANGED}:clock",
        **subscriber_options("sla-monitor"),
    )
    async def on_status_changed(event: StatusChanged) -> None:
        """Open the assignment a report's arrival at a unit starts (idempotent by its id)."""
        assignment = assignment_opened(event, deps.response_days)
        if assignment is None:
            return
        await deps.assignments.open(assignment)
        opened_total.inc()
        log.info(
            "assignment_opened",
            unit_id=assignment.unit_id,
            deadline=assignment.deadline.isoformat(),
        )

    return router
