"""Geo-router service: received reports → kelurahan and unit → routed events."""

from __future__ import annotations

from aduan_shared.city import resolve_city_dir
from aduan_shared.cityconfig import load_city
from aduan_shared.events import ReportRouted
from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_geo_router.adapters.boundaries import BoundaryIndex
from aduan_geo_router.adapters.repository import MongoRoutingStore
from aduan_geo_router.api import create_api
from aduan_geo_router.config import Settings
from aduan_geo_router.handlers import Deps, create_router

DESCRIPTION = "Routes each received report by its location and category to the responsible unit."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("geo-router", settings)
    city = load_city(resolve_city_dir(settings.city_dir))
    boundaries = BoundaryIndex.from_city(city)
    store = MongoRoutingStore(core.db)
    deps = Deps(boundaries, store, core.publisher(ReportRouted), core.metrics)
    core.broker.include_router(create_router(deps))
    core.metrics.gauge("kelurahan_loaded", "Kelurahan polygons loaded").set(
        len(boundaries.kelurahan)
    )
    return build_app(
        ServiceParts(
            core,
            title="Aduan geo-router",
            description=DESCRIPTION,
            routers=[create_api(boundaries)],
            on_startup=[store.ensure_indexes],
            state={"boundaries_geojson": boundaries.geojson()},
        )
    )
