"""Notifier service: citizens and units hear what happened (delivery records; senders follow)."""

from __future__ import annotations

from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_notifier.adapters.deliveries import MongoDeliveryStore
from aduan_notifier.adapters.states import MongoReportStates
from aduan_notifier.api import create_api
from aduan_notifier.config import Settings
from aduan_notifier.handlers import Deps, create_router

DESCRIPTION = "Tells reporters and units what happened, on their own channel, exactly once."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("notifier", settings)
    deliveries = MongoDeliveryStore(core.db)
    states = MongoReportStates(core.db)
    core.broker.include_router(create_router(Deps(deliveries, states, core.metrics)))
    return build_app(
        ServiceParts(
            core,
            title="Aduan notifier",
            description=DESCRIPTION,
            routers=[create_api(deliveries)],
            on_startup=[deliveries.ensure_indexes],
        )
    )
