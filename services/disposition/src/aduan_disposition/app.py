"""Disposition service: cases, the officers' workflow and public tracking."""

from __future__ import annotations

import asyncio

from aduan_shared.city import resolve_city_dir
from aduan_shared.cityconfig import load_city, read_areas
from aduan_shared.events import ReportRated, StatusChanged
from aduan_shared.photo_store import GridFSPhotoStore
from aduan_shared.photos import warm_up as photos_warm_up
from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_disposition.adapters.cases import MongoCaseStore
from aduan_disposition.api import create_api
from aduan_disposition.commands import Policy
from aduan_disposition.config import Settings
from aduan_disposition.handlers import Deps, create_router
from aduan_disposition.live import LiveFeed
from aduan_disposition.metrics import CasesGauge, DispositionMetrics
from aduan_disposition.outbox import Outbox
from aduan_disposition.tracking import create_tracking
from aduan_disposition.units_api import create_units_api
from aduan_disposition.workflow import CityRules, Workflow

DESCRIPTION = "Opens a case for each routed report and tracks the unit's handling of it."


async def warm_up_photos() -> None:
    """Evidence photos' lazy imports at start-up, not in the first completion."""
    await asyncio.to_thread(photos_warm_up)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("disposition", settings)
    city = load_city(resolve_city_dir(settings.city_dir))
    units = city.units(read_areas(city))
    lifecycle = city.city.lifecycle
    rules = CityRules(
        units,
        Policy(
            verification_required=lifecycle.verification,
            reopen_window_days=lifecycle.reopen_days,
            timezone=city.tz,
        ),
        evidence_distance_m=lifecycle.evidence_distance_m,
    )
    cases = MongoCaseStore(core.db)
    photos = GridFSPhotoStore(core.db)
    metrics = DispositionMetrics(core.metrics)
    outbox = Outbox(cases, core.publisher(StatusChanged, ReportRated), core.metrics)
    live = LiveFeed(cases.versions, settings.sse_poll_s)
    workflow = Workflow(
        cases,
        outbox,
        photos,
        rules,
        metrics,
        live,
        publish_wait_s=settings.publish_wait_s,
        evidence_candidates=settings.evidence_candidates,
    )
    deps = Deps(cases, outbox, core.metrics)
    if settings.consume_routed:
        core.broker.include_router(create_router(deps))
    gauge = CasesGauge(
        cases.count_by_state_and_unit, units, metrics, settings.cases_gauge_interval_s
    )
    app = build_app(
        ServiceParts(
            core,
            title="Aduan disposition",
            description=DESCRIPTION,
            routers=[
                create_api(cases, workflow, photos),
                create_units_api(city, units),
                create_tracking(
                    cases,
                    workflow,
                    live,
                    metrics,
                    heartbeat_s=settings.sse_heartbeat_s,
                    max_stream_s=settings.sse_max_s,
                ),
            ],
            on_startup=[warm_up_photos, cases.ensure_indexes, photos.ensure_indexes],
            background=[outbox, live, gauge, workflow],
            state={"deps": deps, "workflow": workflow},
        )
    )
    return app
