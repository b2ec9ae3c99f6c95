"""Disposition service: cases, the officers' workflow and public tracking."""

from __future__ import annotations

from aduan_shared.events import StatusChanged
from aduan_shared.kafka import EventPublisher, create_broker
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.mongo import create_mongo_client
from aduan_shared.service import ServiceParts, build_app
from fastapi import FastAPI

from aduan_disposition.adapters.cases import MongoCaseStore
from aduan_disposition.api import create_api
from aduan_disposition.config import Settings
from aduan_disposition.handlers import Deps, create_router

DESCRIPTION = "Opens a case for each routed report and tracks the unit's handling of it."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = ServiceMetrics("disposition")
    broker = create_broker(settings, "disposition", metrics)
    mongo = create_mongo_client(settings, "aduan-disposition")
    cases = MongoCaseStore(mongo.get_database(settings.mongodb_database))
    publisher = EventPublisher(broker, [StatusChanged], metrics, settings.kafka_publish_timeout_s)
    broker.include_router(create_router(Deps(cases, publisher, metrics)))
    return build_app(
        ServiceParts(
            name="disposition",
            title="Aduan disposition",
            description=DESCRIPTION,
            settings=settings,
            metrics=metrics,
            broker=broker,
            mongo=mongo,
            routers=[create_api(cases)],
            on_startup=[cases.ensure_indexes],
        )
    )
