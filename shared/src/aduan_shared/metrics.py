"""Prometheus helpers: `aduan_<service>_<thing>_<unit>` names, low-cardinality labels."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)


def metric_name(service: str, thing: str) -> str:
    """`("geo-router", "routed_total")` → `aduan_geo_router_routed_total`."""
    return f"aduan_{service.replace('-', '_')}_{thing}"


class ServiceMetrics:
    """The metrics every service exposes, on a registry of its own (tests build many apps)."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        self.up = Gauge(
            metric_name(service, "up"), "1 while the service runs", registry=self.registry
        )
        self.http_requests = Counter(
            metric_name(service, "http_requests_total"),
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            metric_name(service, "http_request_duration_seconds"),
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.events_consumed = Counter(
            metric_name(service, "events_consumed_total"),
            "Kafka events consumed",
            ["topic", "outcome"],
            registry=self.registry,
        )
        self.events_published = Counter(
            metric_name(service, "events_published_total"),
            "Kafka events published",
            ["topic"],
            registry=self.registry,
        )
        self.publish_latency = Histogram(
            metric_name(service, "publish_ack_seconds"),
            "Time from publishing an event to the broker's acknowledgement (acks=all)",
            ["topic"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.handler_latency = Histogram(
            metric_name(service, "event_handling_seconds"),
            "Time to handle one event",
            ["topic"],
            registry=self.registry,
        )

    def counter(self, thing: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(metric_name(self.service, thing), doc, list(labels), registry=self.registry)

    def histogram(
        self,
        thing: str,
        doc: str,
        labels: tuple[str, ...] = (),
        buckets: tuple[float, ...] = Histogram.DEFAULT_BUCKETS,
    ) -> Histogram:
        return Histogram(
            metric_name(self.service, thing),
            doc,
            list(labels),
            registry=self.registry,
            buckets=buckets,
        )

    def gauge(self, thing: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(metric_name(self.service, thing), doc, list(labels), registry=self.registry)

    def install(self, app: FastAPI) -> None:
        """Add `GET /metrics` and a middleware timing every request by its route template."""

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        @app.middleware("http")
        async def timing(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            start = time.perf_counter()
            response = await call_next(request)
            route = getattr(request.scope.get("route"), "path", "unmatched")
            self.http_latency.labels(request.method, route).observe(time.perf_counter() - start)
            self.http_requests.labels(request.method, route, str(response.status_code)).inc()
            return response
