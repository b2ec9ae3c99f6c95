"""SLA monitor service: assignment clocks from status changes (warnings and breaches follow)."""

from __future__ import annotations

from aduan_shared.kafka import create_broker
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.mongo import create_mongo_client
from aduan_shared.service import ServiceParts, build_app
from fastapi import FastAPI

from aduan_sla_monitor.adapters.assignments import MongoAssignmentStore
from aduan_sla_monitor.api import create_api
from aduan_sla_monitor.config import Settings
from aduan_sla_monitor.handlers import Deps, create_router

DESCRIPTION = "Keeps each unit's response clock per report; flags units that miss the deadline."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = ServiceMetrics("sla-monitor")
    broker = create_broker(settings, "sla-monitor", metrics)
    mongo = create_mongo_client(settings, "aduan-sla-monitor")
    assignments = MongoAssignmentStore(mongo.get_database(settings.mongodb_database))
    broker.include_router(create_router(Deps(assignments, metrics, settings.response_days)))
    return build_app(
        ServiceParts(
            name="sla-monitor",
            title="Aduan SLA monitor",
            description=DESCRIPTION,
            settings=settings,
            metrics=metrics,
            broker=broker,
            mongo=mongo,
            routers=[create_api(assignments)],
            on_startup=[assignments.ensure_indexes],
        )
    )
