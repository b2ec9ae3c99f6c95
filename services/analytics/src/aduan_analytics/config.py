"""Analytics settings (prefix `ANALYTICS_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed


class Settings(ServiceSettings):
    model_config = prefixed("ANALYTICS_")

    service_name: str = "analytics"
    http_port: int = 8006
    mongodb_database: str = "aduan_analytics"
