"""SLA monitor settings (prefix `SLA_MONITOR_`)."""

from __future__ import annotations

from aduan_shared.settings import AduanSettings, AuthSettings, KafkaSettings, MongoSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class Settings(AduanSettings, KafkaSettings, MongoSettings, AuthSettings):
    model_config = SettingsConfigDict(
        env_prefix="SLA_MONITOR_", extra="ignore", validate_by_name=True, frozen=True
    )

    service_name: str = "sla-monitor"
    http_port: int = 8004
    mongodb_database: str = "aduan_sla_monitor"
    response_days: float = Field(default=6.0, gt=0)
