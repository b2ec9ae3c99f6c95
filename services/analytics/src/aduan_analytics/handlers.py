"""Kafka subscribers: every report event updates the public read model."""

from __future__ import annotations

from dataclasses import dataclass

from aduan_shared.events import (
    REPORT_RECEIVED,
    REPORT_STATUS_CHANGED,
    ReportReceived,
    StatusChanged,
)
from aduan_shared.kafka import subscriber_options
from faststream.kafka import KafkaRouter

from aduan_analytics.adapters.readmodel import ReportReadModel


@dataclass
class Deps:
    reports: ReportReadModel


def create_router(deps: Deps) -> KafkaRouter:
    router = KafkaRouter()
    options = subscriber_options("analytics")

    @router.subscriber(REPORT_RECEIVED, title=f"{REPORT_RECEIVED}:count", **options)
    async def on_received(event: ReportReceived) -> None:
        await deps.reports.received(event)

    @router.subscriber(REPORT_STATUS_CHANGED, title=f"{REPORT_STATUS_CHANGED}:count", **options)
    async def on_status_changed(event: StatusChanged) -> None:
        await deps.reports.status_changed(event)

    return router
