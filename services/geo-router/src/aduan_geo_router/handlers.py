"""Kafka subscriber: every received report becomes one routed event."""

from __future__ import annotations

from dataclasses import dataclass

from aduan_shared.events import (
    REPORT_RECEIVED,
    ReportReceived,
    ReportRouted,
    derived_event_id,
    utcnow,
)
from aduan_shared.kafka import Publisher, subscriber_options
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaRouter

from aduan_geo_router.adapters.boundaries import BoundaryIndex
from aduan_geo_router.adapters.repository import RoutingStore
from aduan_geo_router.domain import Placement, RouteDecision, area_refs, decide_route

log = get_logger(__name__)


@dataclass
class Deps:
    boundaries: BoundaryIndex
    store: RoutingStore
    publisher: Publisher
    metrics: ServiceMetrics


def place(boundaries: BoundaryIndex, report: ReportReceived) -> Placement:
    if report.location is None:
        return Placement(None, "none", None, "no_location")
    return boundaries.locate(report.location.lat, report.location.lon)


def routed_event(report: ReportReceived, decision: RouteDecision) -> ReportRouted:
    kelurahan, kecamatan, kota = area_refs(decision.placement.kelurahan)
    return ReportRouted(
        event_id=derived_event_id(report.event_id, "routed"),
        occurred_at=utcnow(),
        report_id=report.report_id,
        correlation_id=report.correlation_id,
        category=decision.category,
        category_source=decision.category_source,
        kelurahan=kelurahan,
        kecamatan=kecamatan,
        kota=kota,
        unit_id=decision.unit_id,
        unit_name=decision.unit_name,
        method=decision.placement.method,
        distance_m=decision.placement.distance_m,
        needs_coordination=decision.needs_coordination,
        reason=decision.reason,
        tracking_code=report.tracking_code,
        channel=report.channel,
        description=report.description,
        location=report.location,
        photos=report.photos,
        reporter_ref=report.reporter_ref,
        visibility=report.visibility,
        submitted_at=report.submitted_at,
    )


def create_router(deps: Deps) -> KafkaRouter:
    router = KafkaRouter()
    routed_total = deps.metrics.counter(
        "reports_routed_total", "Reports routed", ("method", "needs_coordination")
    )

    @router.subscriber(
        REPORT_RECEIVED, title=f"{REPORT_RECEIVED}:route", **subscriber_options("geo-router")
    )
    async def on_received(report: ReportReceived) -> None:
        """Place the report, decide its unit, store the decision, then publish it."""
        decision = decide_route(place(deps.boundaries, report), report.category)
        stored = await deps.store.save(routed_event(report, decision))
        await deps.publisher.publish(stored)
        routed_total.labels(stored.method, str(stored.needs_coordination).lower()).inc()
        log.info(
            "report_routed", unit_id=stored.unit_id, method=stored.method, reason=stored.reason
        )

    return router
