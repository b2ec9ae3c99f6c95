"""Notifier service: citizens and units hear what happened (delivery records; senders follow)."""

from __future__ import annotations

from aduan_shared.kafka import create_broker
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.mongo import create_mongo_client
from aduan_shared.service import ServiceParts, build_app
from fastapi import FastAPI

from aduan_notifier.adapters.deliveries import MongoDeliveryStore
from aduan_notifier.config import Settings
from aduan_notifier.handlers import Deps, create_router

DESCRIPTION = "Tells reporters and units what happened, on their own channel, exactly once."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = ServiceMetrics("notifier")
    broker = create_broker(settings, "notifier", metrics)
    mongo = create_mongo_client(settings, "aduan-notifier")
    deliveries = MongoDeliveryStore(mongo.get_database(settings.mongodb_database))
    broker.include_router(create_router(Deps(deliveries, metrics)))
    return build_app(
        ServiceParts(
            name="notifier",
            title="Aduan notifier",
            description=DESCRIPTION,
            settings=settings,
            metrics=metrics,
            broker=broker,
            mongo=mongo,
            on_startup=[deliveries.ensure_indexes],
        )
    )
