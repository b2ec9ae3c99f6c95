"""Geo-router service: received reports → kelurahan and unit → routed events."""

from __future__ import annotations

from aduan_shared.city import resolve_city_dir
from aduan_shared.events import ReportRouted
from aduan_shared.kafka import EventPublisher, create_broker
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.mongo import create_mongo_client
from aduan_shared.service import ServiceParts, build_app
from fastapi import FastAPI

from aduan_geo_router.adapters.boundaries import BoundaryIndex
from aduan_geo_router.adapters.repository import MongoRoutingStore
from aduan_geo_router.api import create_api
from aduan_geo_router.config import Settings
from aduan_geo_router.handlers import Deps, create_router

DESCRIPTION = "Routes each received report by its location and category to the responsible unit."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = ServiceMetrics("geo-router")
    boundaries = BoundaryIndex.load(
        resolve_city_dir(settings.city_dir),
        snap_distance_m=settings.snap_distance_m,
        metric_crs=settings.metric_crs,
    )
    broker = create_broker(settings, "geo-router", metrics)
    mongo = create_mongo_client(settings, "aduan-geo-router")
    store = MongoRoutingStore(mongo.get_database(settings.mongodb_database))
    publisher = EventPublisher(broker, [ReportRouted], metrics, settings.kafka_publish_timeout_s)
    broker.include_router(create_router(Deps(boundaries, store, publisher, metrics)))
    metrics.gauge("kelurahan_loaded", "Kelurahan polygons loaded").set(len(boundaries.kelurahan))
    return build_app(
        ServiceParts(
            name="geo-router",
            title="Aduan geo-router",
            description=DESCRIPTION,
            settings=settings,
            metrics=metrics,
            broker=broker,
            mongo=mongo,
            routers=[create_api(boundaries)],
            on_startup=[store.ensure_indexes],
            state={"boundaries_geojson": boundaries.geojson()},
        )
    )
