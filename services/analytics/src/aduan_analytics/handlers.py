"""Kafka subscribers: every report event updates the read models (idempotently)."""

from __future__ import annotations

from aduan_shared.consuming import Subscriptions
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
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_analytics.adapters.readmodel import ReadModel


def create_router(model: ReadModel, metrics: ServiceMetrics) -> KafkaRouter:
    subscriptions = Subscriptions("analytics")
    applied = metrics.counter(
        "events_applied_total", "Events applied to the read models", ("topic",)
    )

    @subscriptions.on(ReportReceived)
    async def on_received(event: ReportReceived) -> None:
        await model.received(event)
        applied.labels(REPORT_RECEIVED).inc()

    @subscriptions.on(ReportRouted)
    async def on_routed(event: ReportRouted) -> None:
        await model.routed(event)
        applied.labels(REPORT_ROUTED).inc()

    @subscriptions.on(StatusChanged)
    async def on_status_changed(event: StatusChanged) -> None:
        await model.status_changed(event)
        applied.labels(REPORT_STATUS_CHANGED).inc()

    @subscriptions.on(ReportRated)
    async def on_rated(event: ReportRated) -> None:
        await model.rated(event)
        applied.labels(REPORT_RATED).inc()

    @subscriptions.on(SlaBreached)
    async def on_breached(event: SlaBreached) -> None:
        await model.breached(event)
        applied.labels(SLA_BREACHED).inc()

    return subscriptions.router()
