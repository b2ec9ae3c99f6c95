"""Analytics service: read models for the public dashboard and open data."""

from __future__ import annotations

from aduan_shared.kafka import create_broker
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.mongo import create_mongo_client
from aduan_shared.service import ServiceParts, build_app
from fastapi import FastAPI

from aduan_analytics.adapters.readmodel import MongoReportReadModel
from aduan_analytics.api import create_api
from aduan_analytics.config import Settings
from aduan_analytics.handlers import Deps, create_router

DESCRIPTION = "Public figures, open data and the public dashboard, built from every event."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = ServiceMetrics("analytics")
    broker = create_broker(settings, "analytics", metrics)
    mongo = create_mongo_client(settings, "aduan-analytics")
    reports = MongoReportReadModel(mongo.get_database(settings.mongodb_database))
    broker.include_router(create_router(Deps(reports)))
    return build_app(
        ServiceParts(
            name="analytics",
            title="Aduan analytics",
            description=DESCRIPTION,
            settings=settings,
            metrics=metrics,
            broker=broker,
            mongo=mongo,
            routers=[create_api(reports)],
            on_startup=[reports.ensure_indexes],
        )
    )
