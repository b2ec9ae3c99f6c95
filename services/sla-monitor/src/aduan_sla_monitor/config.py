"""SLA monitor settings (prefix `SLA_MONITOR_`)."""

from __future__ import annotations

from aduan_shared.settings import ServiceSettings, prefixed
from pydantic import Field

from aduan_sla_monitor.calendars import Mode


class Settings(ServiceSettings):
    model_config = prefixed("SLA_MONITOR_")

    service_name: str = "sla-monitor"
    http_port: int = 8004
    mongodb_database: str = "aduan_sla_monitor"
    #: Days until the response deadline, and the warning points (days after arrival).
    response_days: int = Field(default=6, gt=0)
    warning_days: tuple[int, ...] = (4, 5)
    #: `calendar` (N × 24 h) or `working` (N working days, Indonesian holidays).
    calendar_mode: Mode = Mode.CALENDAR
    #: How often the scanner looks for due warnings and breaches.
    scan_interval_s: float = Field(default=30.0, gt=0)
    #: How long a replica owns an unpublished signal before another may publish it.
    publish_lease_s: float = Field(default=60.0, gt=0)
