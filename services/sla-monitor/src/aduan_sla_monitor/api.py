"""HTTP API of the SLA monitor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from aduan_sla_monitor.adapters.store import ReportStore, SignalStore
from aduan_sla_monitor.calendars import SlaPolicy
from aduan_sla_monitor.clock import assignments
from aduan_sla_monitor.scanner import Now, utc_now
from aduan_sla_monitor.views import assignment_view


def create_api(
    reports: ReportStore, signals: SignalStore, policy: SlaPolicy, now: Now = utc_now
) -> APIRouter:
    router = APIRouter(prefix="/v1/sla", tags=["sla"])

    @router.get("/cases/{report_id}", summary="Assignments, deadlines and signals of a report")
    async def case(report_id: str) -> dict[str, Any]:
        """The report's assignments (unit, arrival, deadline, warning points, clocks, state
        as of now) and the warnings and breaches signalled for it. Unknown report: empty."""
        at = now()
        events = await reports.events(report_id) or []
        rows = await signals.for_report(report_id)

        def sent(type_: str) -> list[dict[str, Any]]:
            return [
                {**r.event, "key": r.key, "published": r.published} for r in rows if r.type == type_
            ]

        return {
            "report_id": report_id,
            "as_of": at.isoformat(),
            "assignments": [assignment_view(a, at) for a in assignments(events, policy)],
            "warnings": sent("warning"),
            "breaches": sent("breach"),
        }

    return router
