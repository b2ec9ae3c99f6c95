"""Geo-router service: received reports → kelurahan, category and unit → routed events."""

from __future__ import annotations

from aduan_shared.city import resolve_city_dir
from aduan_shared.cityconfig import Area, CityConfig, load_city
from aduan_shared.events import ReportRouted
from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_geo_router.adapters.boundaries import BoundaryIndex
from aduan_geo_router.adapters.repository import MongoRoutingStore
from aduan_geo_router.api import create_api
from aduan_geo_router.classifier import Category, CategoryCatalog, load_catalog
from aduan_geo_router.config import Settings
from aduan_geo_router.gazetteer import Gazetteer
from aduan_geo_router.handlers import Deps, create_router
from aduan_geo_router.router import DEFAULT_TARGET, Router

DESCRIPTION = "Routes each received report by its location and category to the responsible unit."


def build_router(city: CityConfig) -> Router:
    """Everything routing needs, loaded and checked once at start-up."""
    boundaries = BoundaryIndex.from_city(city)
    areas = [Area(k.kode, k.name, k.kecamatan, k.kota) for k in boundaries.kelurahan]
    units = {u.id: u.name for u in city.units(areas).values()}
    path = city.categories_path
    catalog = (
        load_catalog(path)
        if path is not None
        else CategoryCatalog("Lainnya", [Category("Lainnya", "lainnya", DEFAULT_TARGET, ())])
    )
    return Router(boundaries, Gazetteer(boundaries.kelurahan), catalog, units, city.city.routing)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("geo-router", settings)
    router = build_router(load_city(resolve_city_dir(settings.city_dir)))
    store = MongoRoutingStore(core.db)
    core.broker.include_router(
        create_router(Deps(router, store, core.publisher(ReportRouted), core.metrics))
    )
    core.metrics.gauge("kelurahan_loaded", "Kelurahan polygons loaded").set(
        len(router.boundaries.kelurahan)
    )
    return build_app(
        ServiceParts(
            core,
            title="Aduan geo-router",
            description=DESCRIPTION,
            routers=[create_api(router)],
            on_startup=[store.ensure_indexes],
            state={"boundaries_geojson": router.boundaries.geojson()},
        )
    )
