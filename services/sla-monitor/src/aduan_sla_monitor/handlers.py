"""Kafka subscribers: each routing and status change is recorded and the report's clocks recomputed.

The routing is the report's arrival at its first unit (or in the admin pool); the status changes
are everything after. Both are stored per report and version, so redelivery and order do not
matter; the `clocks` index is rewritten from all of the report's events each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from aduan_shared.consuming import Subscriptions
from aduan_shared.events import REPORT_ROUTED, REPORT_STATUS_CHANGED, ReportRouted, StatusChanged
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_sla_monitor.adapters.store import ClockIndex, ReportStore
from aduan_sla_monitor.calendars import SlaPolicy
from aduan_sla_monitor.clock import Recorded, assignments, first_point
from aduan_sla_monitor.views import clock_rows, needs_scan

log = get_logger(__name__)


@dataclass
class Deps:
    reports: ReportStore
    clocks: ClockIndex
    metrics: ServiceMetrics
    policy: SlaPolicy

    @property
    def tz(self) -> tzinfo:
        return self.policy.tz


async def record(deps: Deps, event: Recorded) -> None:
    """Store the event (idempotent by version, any order) with when the report may next signal,
    and index the clocks it leads to."""
    events = await deps.reports.with_event(event)
    stays = assignments(events, deps.policy)
    due_from = first_point(stays)
    scan = due_from is not None or needs_scan(stays)  # else: nothing to signal, ever
    await deps.reports.record(event, due_from=due_from, scan=scan)
    await deps.clocks.replace_report(str(event.report_id), clock_rows(stays, deps.tz))


def create_router(deps: Deps, service: str = "sla-monitor") -> KafkaRouter:
    """The subscribers, in consumer group `aduan-<service>` (replicas share it)."""
    subscriptions = Subscriptions(service)
    recorded = deps.metrics.counter(
        "events_recorded_total", "Routings and status changes recorded", ("topic",)
    )

    @subscriptions.on(ReportRouted)
    async def on_routed(event: ReportRouted) -> None:
        """Record the report's arrival at its first unit (or the admin pool)."""
        await record(deps, event)
        recorded.labels(REPORT_ROUTED).inc()
        log.info("routing_recorded", unit_id=event.unit_id)

    @subscriptions.on(StatusChanged)
    async def on_status_changed(event: StatusChanged) -> None:
        """Record the status change and recompute the report's assignments and clocks."""
        await record(deps, event)
        recorded.labels(REPORT_STATUS_CHANGED).inc()
        log.info("status_change_recorded", version=event.version, to_state=event.to_state)

    return subscriptions.router()
