"""SLA monitor settings (prefix `SLA_MONITOR_`).

The SLA policy itself (days, warning points, calendar mode, extra days off, per-category rules,
the penalty table) is the city's: `city.yaml` `sla:` under `ADUAN_CITY_DIR`.
"""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field


class Settings(ServiceSettings):
    model_config = prefixed("SLA_MONITOR_")

    service_name: str = "sla-monitor"
    http_port: int = 8004
    mongodb_database: str = "aduan_sla_monitor"
    #: How often the scanner looks for due warnings and breaches.
    scan_interval_s: float = Field(default=30.0, gt=0)
    #: How long a replica owns an unpublished signal before another may publish it.
    publish_lease_s: float = Field(default=60.0, gt=0)
    #: How often the backlog and on-time gauges are recounted.
    gauges_interval_s: float = Field(default=30.0, gt=0)
    #: Time travel for tests and demonstrations only: the service's clock runs this many seconds
    #: ahead of the real one (0 in production). A second instance with its own database and
    #: consumer group can so show a breach that is days away without waiting for it.
    clock_offset_s: float = 0.0
