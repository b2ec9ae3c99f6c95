"""Kafka subscriber: each status change is recorded and the report's assignments recomputed."""

from __future__ import annotations

from dataclasses import dataclass

from aduan_shared.events import REPORT_STATUS_CHANGED, StatusChanged
from aduan_shared.kafka import subscriber_options
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_sla_monitor.adapters.store import ReportStore
from aduan_sla_monitor.calendars import SlaPolicy
from aduan_sla_monitor.clock import assignments
from aduan_sla_monitor.scanner import Now, utc_now
from aduan_sla_monitor.views import assignment_view

log = get_logger(__name__)


@dataclass
class Deps:
    reports: ReportStore
    metrics: ServiceMetrics
    policy: SlaPolicy
    now: Now = utc_now


async def record_status_change(deps: Deps, event: StatusChanged) -> None:
    """Store the event (idempotent by version, any order) and the assignments it leads to."""
    events = await deps.reports.record(event)
    now = deps.now()
    stays = assignments(events, deps.policy)
    await deps.reports.save_assignments(
        str(event.report_id), [assignment_view(a, now) for a in stays]
    )


def create_router(deps: Deps) -> KafkaRouter:
    router = KafkaRouter()
    recorded = deps.metrics.counter("status_changes_recorded_total", "Status changes recorded")

    @router.subscriber(
        REPORT_STATUS_CHANGED,
        title=f"{REPORT_STATUS_CHANGED}:clock",
        **subscriber_options("sla-monitor"),
    )
    async def on_status_changed(event: StatusChanged) -> None:
        """Record the status change and recompute the report's assignments and clocks."""
        await record_status_change(deps, event)
        recorded.inc()
        log.info("status_change_recorded", version=event.version, to_state=event.to_state)

    return router
