"""Geo-router settings (prefix `GEO_ROUTER_`)."""

from __future__ import annotations

from aduan_shared.settings import AduanSettings, AuthSettings, KafkaSettings, MongoSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class Settings(AduanSettings, KafkaSettings, MongoSettings, AuthSettings):
    model_config = SettingsConfigDict(
        env_prefix="GEO_ROUTER_", extra="ignore", validate_by_name=True, frozen=True
    )

    service_name: str = "geo-router"
    http_port: int = 8002
    mongodb_database: str = "aduan_geo_router"
    snap_distance_m: float = Field(default=200.0, ge=0)
    metric_crs: str = "EPSG:32748"
