"""Kafka subscribers: status changes and SLA signals become delivery records."""

from __future__ import annotations

from dataclasses import dataclass

from aduan_shared.events import (
    REPORT_STATUS_CHANGED,
    SLA_BREACHED,
    SLA_WARNING,
    Event,
    SlaBreached,
    SlaWarning,
    StatusChanged,
)
from aduan_shared.kafka import subscriber_options
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_notifier.adapters.deliveries import DeliveryStore
from aduan_notifier.domain import notifications_for

log = get_logger(__name__)


@dataclass
class Deps:
    deliveries: DeliveryStore
    metrics: ServiceMetrics


def create_router(deps: Deps) -> KafkaRouter:
    router = KafkaRouter()
    planned = deps.metrics.counter(
        "notifications_planned_total",
        "Notifications recorded for delivery",
        ("recipient_kind", "template"),
    )
    options = subscriber_options("notifier")

    async def plan(event: Event) -> None:
        for notification in notifications_for(event):
            if await deps.deliveries.plan(event, notification):
                planned.labels(notification.recipient_kind, notification.template).inc()
                log.info(
                    "notification_planned",
                    template=notification.template,
                    recipient_kind=notification.recipient_kind,
                )

    @router.subscriber(REPORT_STATUS_CHANGED, title=f"{REPORT_STATUS_CHANGED}:notify", **options)
    async def on_status_changed(event: StatusChanged) -> None:
        await plan(event)

    @router.subscriber(SLA_WARNING, title=f"{SLA_WARNING}:notify", **options)
    async def on_warning(event: SlaWarning) -> None:
        await plan(event)

    @router.subscriber(SLA_BREACHED, title=f"{SLA_BREACHED}:notify", **options)
    async def on_breach(event: SlaBreached) -> None:
        await plan(event)

    return router
