"""Geo-router settings (prefix `GEO_ROUTER_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed


class Settings(ServiceSettings):
    model_config = prefixed("GEO_ROUTER_")

    service_name: str = "geo-router"
    http_port: int = 8002
    mongodb_database: str = "aduan_geo_router"
