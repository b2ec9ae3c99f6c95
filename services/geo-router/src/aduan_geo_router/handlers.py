"""Kafka subscribers: every received report becomes one routed event; status changes keep the
open/finished marks that duplicate and recurrence checks need."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aduan_shared.consuming import Subscriptions
from aduan_shared.events import (
    Location,
    ReportReceived,
    ReportRouted,
    StatusChanged,
    derived_event_id,
    utcnow,
)
from aduan_shared.kafka import Publisher
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_geo_router.adapters.repository import RoutingStore
from aduan_geo_router.domain import RouteDecision, routing_part
from aduan_geo_router.history import HistoryMatch, match_history
from aduan_geo_router.router import Router

log = get_logger(__name__)
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass
class Deps:
    router: Router
    store: RoutingStore
    publisher: Publisher
    metrics: ServiceMetrics


def routed_event(
    report: ReportReceived,
    decision: RouteDecision,
    location: Location | None,
    history: HistoryMatch,
) -> ReportRouted:
    return ReportRouted(
        event_id=derived_event_id(report.event_id, "routed"),
        occurred_at=utcnow(),
        report_id=report.report_id,
        correlation_id=report.correlation_id,
        **routing_part(decision),
        category_source=decision.category.source,
        category_confidence=decision.category.confidence,
        possible_duplicate_of=history.possible_duplicate_of,
        recurrence_of=history.recurrence_of,
        tracking_code=report.tracking_code,
        channel=report.channel,
        description=report.description,
        location=location,
        photos=report.photos,
        reporter_ref=report.reporter_ref,
        visibility=report.visibility,
        submitted_at=report.submitted_at,
    )


def create_router(deps: Deps) -> KafkaRouter:
    subscriptions = Subscriptions("geo-router")
    routed_total = deps.metrics.counter(
        "reports_routed_total",
        "Reports routed, by how they were placed and where they went",
        ("method", "outcome"),
    )
    latency = deps.metrics.histogram(
        "routing_seconds",
        "Time to route one report (placement, category, history, write)",
        buckets=LATENCY_BUCKETS,
    )
    policy = deps.router.policy
    radius = max(policy.duplicate.distance_m, policy.recurrence.distance_m)

    @subscriptions.on(ReportReceived)
    async def on_received(report: ReportReceived) -> None:
        """Place the report, decide its unit, mark duplicates, store, then publish."""
        began = time.perf_counter()
        decision, location = deps.router.route(report)
        history = HistoryMatch()
        if location is not None:
            neighbours = await deps.store.nearby(
                decision.category.name, location.lat, location.lon, radius, str(report.report_id)
            )
            history = match_history(
                location.lat,
                location.lon,
                report.submitted_at,
                neighbours,
                policy.duplicate,
                policy.recurrence,
            )
        stored = await deps.store.save(routed_event(report, decision, location, history))
        await deps.publisher.publish(stored)
        latency.observe(time.perf_counter() - began)
        outcome = "coordination" if stored.needs_coordination else "unit"
        routed_total.labels(stored.method, outcome).inc()
        log.info(
            "report_routed",
            unit_id=stored.unit_id,
            method=stored.method,
            category=stored.category,
            reason=stored.reason,
            duplicate_of=stored.possible_duplicate_of,
            recurrence_of=stored.recurrence_of,
        )

    @subscriptions.on(StatusChanged)
    async def on_status_changed(event: StatusChanged) -> None:
        """Remember which reports are open and which finished, for later duplicate checks."""
        await deps.store.status_changed(event)

    return subscriptions.router()
