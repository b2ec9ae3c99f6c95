"""Geo-router settings (prefix `GEO_ROUTER_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field


class Settings(ServiceSettings):
    model_config = prefixed("GEO_ROUTER_")

    service_name: str = "geo-router"
    http_port: int = 8002
    mongodb_database: str = "aduan_geo_router"
    snap_distance_m: float = Field(default=200.0, ge=0)
    metric_crs: str = "EPSG:32748"
