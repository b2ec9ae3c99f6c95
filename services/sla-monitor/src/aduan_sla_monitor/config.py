"""SLA monitor settings (prefix `SLA_MONITOR_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field


class Settings(ServiceSettings):
    model_config = prefixed("SLA_MONITOR_")

    service_name: str = "sla-monitor"
    http_port: int = 8004
    mongodb_database: str = "aduan_sla_monitor"
    response_days: float = Field(default=6.0, gt=0)
