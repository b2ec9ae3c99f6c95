"""Prometheus helpers: `aduan_<service>_<thing>_<unit>` names, low-cardinality labels."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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

    def time_garbage_collections(self) -> Callable[[], None]:
        """Observe every collector pause in `gc_pause_seconds{generation}` (a full collection
        stalls the event loop: this is where a latency tail shows its cause). Returns the undo."""
        pauses = self.histogram(
            "gc_pause_seconds",
            "Garbage collector pauses (the event loop is stopped meanwhile)",
            ("generation",),
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
        )
        began = [0.0]

        def callback(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                began[0] = time.perf_counter()
            else:
                pauses.labels(str(info["generation"])).observe(time.perf_counter() - began[0])

        gc.callbacks.append(callback)
        return lambda: gc.callbacks.remove(callback)

    def gauge(self, thing: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(metric_name(self.service, thing), doc, list(labels), registry=self.registry)

    def install(self, app: FastAPI) -> None:
        """Add `GET /metrics` and a middleware timing every request by its route template."""

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        app.add_middleware(_TimingMiddleware, metrics=self)


class _TimingMiddleware:
    """Times every HTTP request by its route template and counts it by status (plain ASGI:
    Starlette's BaseHTTPMiddleware costs a small request a large share of its CPU)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what an exception escaping the app becomes

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.http_latency.labels(method, route).observe(time.perf_counter() - start)
            self.metrics.http_requests.labels(method, route, str(status)).inc()
