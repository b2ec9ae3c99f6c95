"""Analytics service: read models for the public dashboard, open data and the public page."""

from __future__ import annotations

import asyncio
from typing import Any

from aduan_shared.areas_geojson import simplified_areas
from aduan_shared.city import kecamatan_kode, kota_kode, resolve_city_dir
from aduan_shared.cityconfig import load_city, read_areas
from aduan_shared.service import ServiceParts, build_app, service_core
from aduan_shared.webassets import Payload
from fastapi import FastAPI

from aduan_analytics.adapters.readmodel import MongoReadModel
from aduan_analytics.api import PublicData, create_api, today_in
from aduan_analytics.cache import TtlCache
from aduan_analytics.config import Settings
from aduan_analytics.handlers import create_router
from aduan_analytics.page import create_page_router

DESCRIPTION = "Public figures, open data and the public dashboard, built from every event."


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("analytics", settings)
    city = load_city(resolve_city_dir(settings.city_dir))
    areas = read_areas(city)
    model = MongoReadModel(core.db, city.tz)
    core.broker.include_router(create_router(model, core.metrics))
    polygons: dict[str, Any] = {}
    lock = asyncio.Lock()

    async def kelurahan() -> dict[str, Any]:
        async with lock:
            if not polygons:
                polygons.update(await asyncio.to_thread(simplified_areas, city))
        return polygons

    kotas = sorted({(kota_kode(a.kode), a.kota) for a in areas})
    data = PublicData(
        model=model,
        units=city.units(areas),
        areas=kelurahan,
        kotas=[{"kode": kode, "name": name} for kode, name in kotas],
        area_names={
            **{kecamatan_kode(a.kode): a.kecamatan for a in areas},
            **{kota_kode(a.kode): a.kota for a in areas},
        },
        categories=[c.name for c in city.category_names()],
        tz=city.tz,
        today=today_in(city.tz),
    )
    cache: TtlCache[Payload] = TtlCache(settings.cache_ttl_s)
    return build_app(
        ServiceParts(
            core,
            title="Aduan analytics",
            description=DESCRIPTION,
            routers=[
                create_api(data, cache, core.metrics),
                create_page_router(settings.chartjs_path),
            ],
            on_startup=[model.ensure_indexes],
        )
    )
