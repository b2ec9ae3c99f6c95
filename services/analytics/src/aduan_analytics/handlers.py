"""Kafka subscribers: every report event updates the read models (idempotently)."""

from __future__ import annotations

from aduan_shared.events import (
    REPORT_RATED,
    REPORT_RECEIVED,
    REPORT_ROUTED,
    REPORT_STATUS_CHANGED,
    SLA_BREACHED,
    ReportRated,
    ReportReceived,
    ReportRouted,
    SlaBreached,
    StatusChanged,
)
from aduan_shared.kafka import subscriber_options
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_analytics.adapters.readmodel import ReadModel


def create_router(model: ReadModel, metrics: ServiceMetrics) -> KafkaRouter:
    router = KafkaRouter()
    options = subscriber_options("analytics")
    applied = metrics.counter(
        "events_applied_total", "Events applied to the read models", ("topic",)
    )

    @router.subscriber(REPORT_RECEIVED, title=f"{REPORT_RECEIVED}:count", **options)
    async def on_received(event: ReportReceived) -> None:
        await model.received(event)
        applied.labels(REPORT_RECEIVED).inc()

    @router.subscriber(REPORT_ROUTED, title=f"{REPORT_ROUTED}:areas", **options)
    async def on_routed(event: ReportRouted) -> None:
        await model.routed(event)
        applied.labels(REPORT_ROUTED).inc()

    @router.subscriber(REPORT_STATUS_CHANGED, title=f"{REPORT_STATUS_CHANGED}:count", **options)
    async def on_status_changed(event: StatusChanged) -> None:
        await model.status_changed(event)
        applied.labels(REPORT_STATUS_CHANGED).inc()

    @router.subscriber(REPORT_RATED, title=f"{REPORT_RATED}:ratings", **options)
    async def on_rated(event: ReportRated) -> None:
        await model.rated(event)
        applied.labels(REPORT_RATED).inc()

    @router.subscriber(SLA_BREACHED, title=f"{SLA_BREACHED}:compliance", **options)
    async def on_breached(event: SlaBreached) -> None:
        await model.breached(event)
        applied.labels(SLA_BREACHED).inc()

    return router
