"""SLA monitor service: assignment clocks from routings and status changes, warnings and
breaches once, and the tunjangan ledger."""

from __future__ import annotations

from datetime import datetime, timedelta

from aduan_shared.background import Periodic
from aduan_shared.city import resolve_city_dir
from aduan_shared.cityconfig import CityConfig, Head, load_city
from aduan_shared.events import SlaBreached, SlaWarning
from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_sla_monitor.adapters.store import MongoClockIndex, MongoReportStore, MongoSignalStore
from aduan_sla_monitor.api import LedgerSource, create_api
from aduan_sla_monitor.calendars import SlaPolicy, policy_from_config
from aduan_sla_monitor.config import Settings
from aduan_sla_monitor.handlers import Deps, create_router
from aduan_sla_monitor.ledger import HeadOf
from aduan_sla_monitor.metrics import SlaGauges
from aduan_sla_monitor.scanner import Now, Scanner, utc_now

DESCRIPTION = "Keeps each unit's response clock per report; flags units that miss the deadline."


def city_policy(city: CityConfig) -> tuple[SlaPolicy, HeadOf]:
    """The city's SLA policy and who headed a unit when (both from the city configuration)."""

    def head_of(unit_id: str, at: datetime) -> Head:
        return city.head_of(unit_id, at)

    return policy_from_config(city.city.sla, city.tz), head_of


def create_app(settings: Settings | None = None, now: Now | None = None) -> FastAPI:
    """The service; `now` is injectable so tests can run it on a fake clock (by default the real
    clock, ahead by `SLA_MONITOR_CLOCK_OFFSET_S`)."""
    settings = settings or Settings()
    if now is None:
        offset = timedelta(seconds=settings.clock_offset_s)
        now = (lambda: utc_now() + offset) if offset else utc_now
    core = service_core("sla-monitor", settings)
    city = load_city(resolve_city_dir(settings.city_dir))
    policy, head_of = city_policy(city)
    reports = MongoReportStore(core.db)
    clocks = MongoClockIndex(core.db)
    signals = MongoSignalStore(core.db)
    deps = Deps(reports, clocks, core.metrics, policy)
    core.broker.include_router(create_router(deps, settings.service_name))
    scanner = Scanner(
        reports,
        signals,
        core.publisher(SlaWarning, SlaBreached),
        policy,
        head_of,
        core.metrics,
        now=now,
        lease_s=settings.publish_lease_s,
    )
    gauges = SlaGauges(clocks, core.metrics, now)
    source = LedgerSource(reports, clocks, policy, head_of)
    return build_app(
        ServiceParts(
            core,
            title="Aduan SLA monitor",
            description=DESCRIPTION,
            routers=[create_api(reports, signals, source, city.city.sla.penalty, now)],
            on_startup=[reports.ensure_indexes, clocks.ensure_indexes, signals.ensure_indexes],
            background=[
                Periodic("sla-scan", scanner.scan, settings.scan_interval_s),
                Periodic("sla-gauges", gauges.recount, settings.gauges_interval_s),
            ],
        )
    )
