"""Disposition settings (prefix `DISPOSITION_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed


class Settings(ServiceSettings):
    model_config = prefixed("DISPOSITION_")

    service_name: str = "disposition"
    http_port: int = 8003
    mongodb_database: str = "aduan_disposition"
