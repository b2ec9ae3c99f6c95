"""Disposition settings (prefix `DISPOSITION_`)."""

from __future__ import annotations

from aduan_shared.settings import AduanSettings, AuthSettings, KafkaSettings, MongoSettings
from pydantic_settings import SettingsConfigDict


class Settings(AduanSettings, KafkaSettings, MongoSettings, AuthSettings):
    model_config = SettingsConfigDict(
        env_prefix="DISPOSITION_", extra="ignore", validate_by_name=True, frozen=True
    )

    service_name: str = "disposition"
    http_port: int = 8003
    mongodb_database: str = "aduan_disposition"
