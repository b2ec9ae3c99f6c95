"""Analytics settings (prefix `ANALYTICS_`)."""

from __future__ import annotations

from pathlib import Path

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field


class Settings(ServiceSettings):
    model_config = prefixed("ANALYTICS_")

    service_name: str = "analytics"
    http_port: int = 8006
    mongodb_database: str = "aduan_analytics"
    #: How long a public answer is reused before the database is asked again.
    cache_ttl_s: float = Field(default=10.0, ge=0)
    #: Chart.js (from npm, fetched by `aduan-dev setup`); default: the setup's cache.
    chartjs_path: Path | None = None
