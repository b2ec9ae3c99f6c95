"""Analytics service: read models for the public dashboard and open data."""

from __future__ import annotations

from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_analytics.adapters.readmodel import MongoReportReadModel
from aduan_analytics.api import create_api
from aduan_analytics.config import Settings
from aduan_analytics.handlers import Deps, create_router

DESCRIPTION = "Public figures, open data and the public dashboard, built from every event."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("analytics", settings)
    reports = MongoReportReadModel(core.db)
    core.broker.include_router(create_router(Deps(reports)))
    return build_app(
        ServiceParts(
            core,
            title="Aduan analytics",
            description=DESCRIPTION,
            routers=[create_api(reports)],
            on_startup=[reports.ensure_indexes],
        )
    )
