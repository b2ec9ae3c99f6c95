"""Analytics settings (prefix `ANALYTICS_`)."""

from __future__ import annotations

from aduan_shared.settings import AduanSettings, AuthSettings, KafkaSettings, MongoSettings
from pydantic_settings import SettingsConfigDict


class Settings(AduanSettings, KafkaSettings, MongoSettings, AuthSettings):
    model_config = SettingsConfigDict(
        env_prefix="ANALYTICS_", extra="ignore", validate_by_name=True, frozen=True
    )

    service_name: str = "analytics"
    http_port: int = 8006
    mongodb_database: str = "aduan_analytics"
