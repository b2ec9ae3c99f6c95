"""SLA monitor service: assignment clocks from status changes, warnings and breaches once."""

from __future__ import annotations

from datetime import datetime, tzinfo

from aduan_shared.background import Periodic
from aduan_shared.city import resolve_city_dir
from aduan_shared.cityconfig import load_city
from aduan_shared.events import SlaBreached, SlaWarning
from aduan_shared.service import ServiceParts, build_app, service_core
from fastapi import FastAPI

from aduan_sla_monitor.adapters.store import MongoReportStore, MongoSignalStore
from aduan_sla_monitor.api import create_api
from aduan_sla_monitor.calendars import Calendar, DeadlineRule, SlaPolicy
from aduan_sla_monitor.config import Settings
from aduan_sla_monitor.handlers import Deps, create_router
from aduan_sla_monitor.scanner import Scanner

DESCRIPTION = "Keeps each unit's response clock per report; flags units that miss the deadline."


def policy_from(settings: Settings, tz: tzinfo) -> SlaPolicy:
    """The city's SLA policy from the service settings, in the city's timezone."""
    return SlaPolicy(
        calendar=Calendar(mode=settings.calendar_mode, tz=tz),
        default=DeadlineRule(days=settings.response_days, warning_days=settings.warning_days),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    core = service_core("sla-monitor", settings)
    city = load_city(resolve_city_dir(settings.city_dir))
    policy = policy_from(settings, city.tz)
    reports = MongoReportStore(core.db)
    signals = MongoSignalStore(core.db)
    core.broker.include_router(create_router(Deps(reports, core.metrics, policy)))

    def head_of(unit_id: str, at: datetime) -> str:
        return city.head_of(unit_id, at).official_id

    scanner = Scanner(
        reports,
        signals,
        core.publisher(SlaWarning, SlaBreached),
        policy,
        head_of,
        core.metrics,
        lease_s=settings.publish_lease_s,
    )
    app = build_app(
        ServiceParts(
            core,
            title="Aduan SLA monitor",
            description=DESCRIPTION,
            routers=[create_api(reports, signals, policy)],
            on_startup=[reports.ensure_indexes, signals.ensure_indexes],
            background=[Periodic("sla-scan", scanner.scan, settings.scan_interval_s)],
        )
    )
    return app
