"""The anatomy every service shares: a FastAPI app that runs its FastStream broker in its lifespan.

`/healthz`, `/readyz` (broker and database checked for real), `/metrics`, `/asyncapi.json`,
problem+json errors and correlation ids come from here, so each service only adds its routes and
its subscribers.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
import uvicorn
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import STARTUP_FAILURE

from aduan_shared.auth import JwtVerifier
from aduan_shared.background import Runner
from aduan_shared.consumer_lag import ConsumerLag
from aduan_shared.diagnostics import install_task_dump
from aduan_shared.errors import PROBLEM_JSON, install_problem_handlers
from aduan_shared.events import Event
from aduan_shared.kafka import EventPublisher, create_broker
from aduan_shared.logging import (
    CORRELATION_HEADER,
    configure_logging,
    get_logger,
    new_correlation_id,
)
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.mongo import Document, create_mongo_client, mongo_ready
from aduan_shared.settings import AduanSettings, ServiceSettings
from aduan_shared.startup import reach_then_start, start_with_retry

log = get_logger(__name__)

Hook = Callable[[], Awaitable[None]]


async def _nap(app: FastAPI, seconds: float) -> None:
    """asyncio.sleep that wakes early when the process is asked to exit (uvicorn only notes a
    SIGTERM during start-up, as a flag: look 4 times a second)."""
    end = time.monotonic() + seconds
    while not app.state.exit_requested() and (left := end - time.monotonic()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(min(left, 0.25))


@dataclass
class ServiceCore:
    """The clients every service builds the same way; nothing connects until the lifespan."""

    name: str
    settings: ServiceSettings
    metrics: ServiceMetrics
    broker: KafkaBroker
    mongo: AsyncMongoClient[Document]

    @property
    def db(self) -> AsyncDatabase[Document]:
        return self.mongo.get_database(self.settings.mongodb_database)

    def publisher(self, *events: type[Event]) -> EventPublisher:
        """A publisher of `events`, declared on the broker (and so in the AsyncAPI document)."""
        return EventPublisher(
            self.broker, events, self.metrics, self.settings.kafka_publish_timeout_s
        )


def service_core(name: str, settings: ServiceSettings) -> ServiceCore:
    metrics = ServiceMetrics(name)
    return ServiceCore(
        name,
        settings,
        metrics,
        create_broker(settings, name, metrics),
        create_mongo_client(settings, f"aduan-{name}"),
    )


@dataclass
class ServiceParts:
    """What a service hands to `build_app`: its core, routes and start/stop hooks."""

    core: ServiceCore
    title: str
    description: str
    routers: Sequence[APIRouter] = ()
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()
    #: Loops run while the broker runs: started after it connected, stopped before it closes.
    background: Sequence[Runner] = ()
    state: dict[str, Any] = field(default_factory=dict)


def asyncapi(broker: KafkaBroker, name: str, description: str) -> AsyncAPI:
    """The AsyncAPI document of a service's broker: what it consumes and produces."""
    return AsyncAPI(
        broker,
        title=f"aduan-{name}",
        version="1.0.0",
        description=description,
        schema_version="3.0.0",
    )


def build_app(parts: ServiceParts) -> FastAPI:
    """Assemble the FastAPI app; the broker starts and the database is reached in the lifespan."""
    core = parts.core
    settings = core.settings
    # Every service measures its own consumer groups' lag (nothing without subscribers).
    background = [*parts.background, ConsumerLag(core.broker, settings, core.metrics)]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_task_dump(asyncio.get_running_loop())  # `kill -USR1`: where each task waits
        for hook in parts.on_startup:
            await hook()
        await start_with_retry(
            lambda: reach_then_start(core.broker),
            core.broker.stop,
            settings.kafka_startup_timeout_s,
            what=f"Kafka at {settings.kafka_bootstrap_servers}",
            sleep=partial(_nap, app),
            stopping=lambda: bool(app.state.exit_requested()),
        )
        untime_gc = core.metrics.time_garbage_collections()
        # What start-up built (modules, routes, models, clients) lives as long as the process:
        # freeze it, so a full collection walks only what requests left behind. Unfrozen, a
        # full collection stopped intake's event loop for ~70 ms, its p99 at 200 reports/s.
        gc.collect()
        gc.freeze()
        started: list[Runner] = []
        try:
            for runner in background:
                await runner.start()
                started.append(runner)
            core.metrics.up.set(1)
            log.info("service_started", port=settings.http_port)
            yield
        finally:
            core.metrics.up.set(0)
            for runner in reversed(started):
                await runner.stop()
            untime_gc()
            await core.broker.stop()
            for hook in parts.on_shutdown:
                await hook()
            await core.mongo.close()
            log.info("service_stopped")

    app = FastAPI(
        title=parts.title, description=parts.description, version="1.0.0", lifespan=lifespan
    )
    app.state.parts = parts
    app.state.exit_requested = lambda: False  # `serve` asks its uvicorn server
    app.state.auth = JwtVerifier(settings)
    for key, value in parts.state.items():
        setattr(app.state, key, value)
    install_problem_handlers(app)
    core.metrics.install(app)
    app.add_middleware(CorrelationMiddleware)
    app.include_router(_ops_router(parts))
    for router in parts.routers:
        app.include_router(router)
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """Document what is sent (schemathesis found the mismatches): FastAPI documents its 422 as
    `application/json` HTTPValidationError and no other refusal, while the problem handlers answer
    every 4xx (404 of an unknown id, 401, 413, …) as `application/problem+json`."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for item in schema.get("paths", {}).values():
                for operation in item.values():
                    responses = operation.setdefault("responses", {})
                    invalid = responses.get("422", {})
                    if "application/json" in invalid.get("content", {}):
                        invalid["content"] = {PROBLEM_JSON: {"schema": {"type": "object"}}}
                    # every refusal (400-499) is a problem document (install_problem_handlers)
                    responses.setdefault(
                        "4XX",
                        {"description": "refused: RFC 9457 problem", "content": {PROBLEM_JSON: {}}},
                    )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _ops_router(parts: ServiceParts) -> APIRouter:
    core = parts.core
    router = APIRouter(tags=["operations"])
    timeout = core.settings.kafka_ready_timeout_s
    spec = asyncapi(core.broker, core.name, parts.description)

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": core.name}

    @router.get(
        "/readyz",
        summary="Broker and database are reachable",
        responses={503: {"description": "a dependency is unreachable"}},
    )
    async def readyz() -> Response:
        kafka_ok, mongo_ok = await asyncio.gather(
            core.broker.ping(timeout), mongo_ready(core.mongo, timeout)
        )
        checks = {
            "kafka": "ok" if kafka_ok else "unreachable",
            "mongodb": "ok" if mongo_ok else "unreachable",
        }
        if kafka_ok and mongo_ok:
            return JSONResponse({"status": "ready", "service": core.name, "checks": checks})
        down = ", ".join(k for k, v in checks.items() if v != "ok")
        return JSONResponse(
            {
                "type": "https://aduan.id/problems/not-ready",
                "title": "Not ready",
                "status": 503,
                "detail": f"unreachable: {down}",
                "checks": checks,
            },
            status_code=503,
            media_type=PROBLEM_JSON,
            headers={"Retry-After": "5"},
        )

    @router.get("/asyncapi.json", summary="The AsyncAPI document of this service's events")
    async def asyncapi_json() -> Response:
        return Response(spec.to_specification().to_json(), media_type="application/json")

    return router


class CorrelationMiddleware:
    """Every HTTP request carries a correlation id (the caller's `X-Correlation-Id`, or a new
    one): on `request.state`, in every log line, and back in the response's headers.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each
    request through extra tasks and memory streams, a large share of a small request's CPU."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cid = Headers(scope=scope).get(CORRELATION_HEADER) or new_correlation_id()
        scope.setdefault("state", {})["correlation_id"] = cid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[CORRELATION_HEADER] = cid
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=cid):
            await self.app(scope, receive, send_with_id)


def serve(app_factory: Callable[[], FastAPI], settings: AduanSettings) -> None:
    """Run a service process: logging configured once, uvicorn on the service's port.

    As `uvicorn.run`, but the app may ask whether the server was told to exit (while it waits
    for the broker); a start-up that failed exits with uvicorn's status 3."""
    configure_logging(settings.service_name, settings.log_format, settings.log_level)
    app = app_factory()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            lifespan="on",
            # httptools: a C HTTP parser instead of the pure-Python h11. The event loop stays
            # asyncio's own: with uvloop, one test run of four saw the geo-router's and
            # disposition's consumers stop for good after a broker restart (not yet understood)
            loop="asyncio",
            http="httptools",
        )
    )
    app.state.exit_requested = lambda: server.should_exit
    with suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
