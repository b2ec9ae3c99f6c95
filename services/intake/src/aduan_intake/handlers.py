"""Kafka subscriber of intake: it follows each report's status (for Open311's `status`)."""

from __future__ import annotations

from dataclasses import dataclass

from aduan_shared.consuming import Subscriptions
from aduan_shared.events import StatusChanged
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_intake.adapters.store import ReportStatus, StatusStore

log = get_logger(__name__)


@dataclass
class StatusDeps:
    reports: StatusStore
    metrics: ServiceMetrics


def status_of(event: StatusChanged) -> ReportStatus:
    """The status a status-changed event leaves its report in."""
    return ReportStatus(
        state=event.to_state,
        version=event.version,
        at=event.occurred_at,
        unit_id=event.unit_id,
        expected_at=event.estimated_completion,
        category=event.category,
    )


def create_router(deps: StatusDeps) -> KafkaRouter:
    subscriptions = Subscriptions("intake")
    followed = deps.metrics.counter(
        "status_changes_total",
        "Status changes consumed: applied, or ignored (stale, duplicate or unknown report)",
        ("outcome",),
    )

    @subscriptions.on(StatusChanged)
    async def on_status_changed(event: StatusChanged) -> None:
        """Record the report's new state when the event is newer than what is stored."""
        applied = await deps.reports.record_status(str(event.report_id), status_of(event))
        followed.labels("applied" if applied else "ignored").inc()
        log.info(
            "report_status_followed",
            state=event.to_state.value,
            version=event.version,
            applied=applied,
        )

    return subscriptions.router()
