"""Disposition service: cases, the officers' workflow and public tracking."""

from __future__ import annotations

from aduan_shared.events import StatusChanged
from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_disposition.adapters.cases import MongoCaseStore
from aduan_disposition.api import create_api
from aduan_disposition.config import Settings
from aduan_disposition.handlers import Deps, create_router

DESCRIPTION = "Opens a case for each routed report and tracks the unit's handling of it."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("disposition", settings)
    cases = MongoCaseStore(core.db)
    core.broker.include_router(
        create_router(Deps(cases, core.publisher(StatusChanged), core.metrics))
    )
    return build_app(
        ServiceParts(
            core,
            title="Aduan disposition",
            description=DESCRIPTION,
            routers=[create_api(cases)],
            on_startup=[cases.ensure_indexes],
        )
    )
