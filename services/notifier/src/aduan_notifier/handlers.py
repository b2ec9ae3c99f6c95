"""Kafka subscribers: status changes, SLA signals and status questions become delivery records."""

from __future__ import annotations

from dataclasses import dataclass

from aduan_shared.events import (
    REPORT_STATUS_ASKED,
    REPORT_STATUS_CHANGED,
    SLA_BREACHED,
    SLA_WARNING,
    Event,
    SlaBreached,
    SlaWarning,
    StatusAsked,
    StatusChanged,
)
from aduan_shared.kafka import subscriber_options
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_notifier.adapters.deliveries import DeliveryStore
from aduan_notifier.adapters.states import ReportStates
from aduan_notifier.domain import Notification, notifications_for, status_answer

log = get_logger(__name__)


@dataclass
class Deps:
    deliveries: DeliveryStore
    states: ReportStates
    metrics: ServiceMetrics


def create_router(deps: Deps) -> KafkaRouter:
    router = KafkaRouter()
    planned = deps.metrics.counter(
        "notifications_planned_total",
        "Notifications recorded for delivery",
        ("recipient_kind", "template"),
    )
    options = subscriber_options("notifier")

    async def plan(event: Event, notifications: list[Notification]) -> None:
        for notification in notifications:
            if await deps.deliveries.plan(event, notification):
                planned.labels(notification.recipient_kind, notification.template).inc()
                log.info(
                    "notification_planned",
                    template=notification.template,
                    recipient_kind=notification.recipient_kind,
                )

    @router.subscriber(REPORT_STATUS_CHANGED, title=f"{REPORT_STATUS_CHANGED}:notify", **options)
    async def on_status_changed(event: StatusChanged) -> None:
        await deps.states.record(event)
        await plan(event, notifications_for(event))

    @router.subscriber(REPORT_STATUS_ASKED, title=f"{REPORT_STATUS_ASKED}:answer", **options)
    async def on_status_asked(event: StatusAsked) -> None:
        """Answer with the latest state this service has seen (`received` if none yet)."""
        state = await deps.states.state_of(str(event.report_id)) if event.found else None
        answer = status_answer(event, state)
        await plan(event, [answer] if answer else [])

    @router.subscriber(SLA_WARNING, title=f"{SLA_WARNING}:notify", **options)
    async def on_warning(event: SlaWarning) -> None:
        await plan(event, notifications_for(event))

    @router.subscriber(SLA_BREACHED, title=f"{SLA_BREACHED}:notify", **options)
    async def on_breach(event: SlaBreached) -> None:
        await plan(event, notifications_for(event))

    return router
