"""SLA monitor service: assignment clocks from status changes (warnings and breaches follow)."""

from __future__ import annotations

from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_sla_monitor.adapters.assignments import MongoAssignmentStore
from aduan_sla_monitor.api import create_api
from aduan_sla_monitor.config import Settings
from aduan_sla_monitor.handlers import Deps, create_router

DESCRIPTION = "Keeps each unit's response clock per report; flags units that miss the deadline."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("sla-monitor", settings)
    assignments = MongoAssignmentStore(core.db)
    core.broker.include_router(
        create_router(Deps(assignments, core.metrics, settings.response_days))
    )
    return build_app(
        ServiceParts(
            core,
            title="Aduan SLA monitor",
            description=DESCRIPTION,
            routers=[create_api(assignments)],
            on_startup=[assignments.ensure_indexes],
        )
    )
