"""HTTP API of the SLA monitor: a report's clocks, a month's breaches, the tunjangan ledger.

Everything is recomputed from the recorded events (the pure :mod:`clock` and :mod:`ledger`), so
what the API shows is what a replay of the topics shows. Officials' pay depends on the ledger:
reading it takes the `leader` or `crm_admin` role; a report's clocks also `unit_officer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from aduan_shared.auth import Principal, Role, require_roles
from aduan_shared.cityconfig import PenaltyStep
from aduan_shared.errors import InvalidInput
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime

from aduan_sla_monitor.adapters.store import ClockIndex, ReportStore, SignalStore
from aduan_sla_monitor.calendars import SlaPolicy
from aduan_sla_monitor.clock import assignments
from aduan_sla_monitor.ledger import (
    Breach,
    HeadOf,
    Month,
    breaches_csv,
    ledger,
    ledger_csv,
    ledger_json,
    month_breaches,
)
from aduan_sla_monitor.scanner import Now, utc_now
from aduan_sla_monitor.views import assignment_view

CSV = "text/csv"
LEDGER_READERS = (Role.LEADER, Role.CRM_ADMIN)
CASE_READERS = (*LEDGER_READERS, Role.UNIT_OFFICER)

MonthParam = Annotated[
    str | None,
    Query(description="`YYYY-MM` in the city's timezone (default: the current month)"),
]
AsOfParam = Annotated[
    AwareDatetime | None,
    Query(description="Count breaches due by this instant (default: now); for reproducible reads"),
]
#: Both JSON and CSV answers, documented (the CSV as text).
JSON_OR_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {"schema": {"type": "object"}},
            CSV: {"schema": {"type": "string"}},
        }
    }
}

FormatParam = Annotated[
    str | None, Query(alias="format", pattern="^(json|csv)$", description="or `Accept: text/csv`")
]


@dataclass(frozen=True)
class LedgerSource:
    """Breaches of a month from the stores: the clock index finds the reports, events decide."""

    reports: ReportStore
    clocks: ClockIndex
    policy: SlaPolicy
    head_of: HeadOf

    async def breaches(self, month: Month, as_of: datetime) -> list[Breach]:
        report_ids = await self.clocks.reports_due_in(str(month))
        stays = [
            a
            for evs in await self.reports.events_of(report_ids)
            for a in assignments(evs, self.policy)
        ]
        return month_breaches(stays, month, as_of, self.head_of, self.policy.tz)


def _wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    return CSV in request.headers.get("accept", "")


def _csv_response(body: str, name: str) -> PlainTextResponse:
    return PlainTextResponse(
        body,
        media_type=f"{CSV}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def create_api(
    reports: ReportStore,
    signals: SignalStore,
    source: LedgerSource,
    penalty: tuple[PenaltyStep, ...],
    now: Now = utc_now,
) -> APIRouter:
    router = APIRouter(prefix="/v1/sla", tags=["sla"])
    policy = source.policy
    tz = policy.tz

    def month_of(text: str | None) -> Month:
        if text is None:
            return Month.of(now(), tz)
        try:
            return Month.parse(text)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc

    @router.get("/cases/{report_id}", summary="Assignments, deadlines and signals of a report")
    async def case(
        report_id: str,
        _: Annotated[Principal, Depends(require_roles(*CASE_READERS))],
    ) -> dict[str, Any]:
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

    @router.get(
        "/breaches",
        summary="Breaches whose deadline falls in a month, optionally of one unit (JSON or CSV)",
        response_model=None,
        responses=JSON_OR_CSV,
    )
    async def breaches(
        request: Request,
        _: Annotated[Principal, Depends(require_roles(*LEDGER_READERS))],
        month: MonthParam = None,
        unit_id: str | None = None,
        as_of: AsOfParam = None,
        fmt: FormatParam = None,
    ) -> dict[str, Any] | PlainTextResponse:
        m = month_of(month)
        found = await source.breaches(m, as_of or now())
        if unit_id is not None:
            found = [b for b in found if b.unit_id == unit_id]
        if _wants_csv(request, fmt):
            return _csv_response(breaches_csv(found, tz), f"sla-breaches-{m}.csv")
        return {
            "month": str(m),
            "unit_id": unit_id,
            "breaches": [b.as_dict(tz) for b in found],
        }

    @router.get(
        "/ledger",
        summary="The tunjangan ledger of a month: per official, breaches and the cut (JSON or CSV)",
        response_model=None,
        responses=JSON_OR_CSV,
    )
    async def month_ledger(
        request: Request,
        _: Annotated[Principal, Depends(require_roles(*LEDGER_READERS))],
        month: MonthParam = None,
        as_of: AsOfParam = None,
        fmt: FormatParam = None,
    ) -> dict[str, Any] | PlainTextResponse:
        """Per official heading a unit at a breach's deadline: the month's breaches (report,
        unit, kind, deadline) and the cut from the city's policy table. The CSV has one row per
        breach and is byte for byte what `aduan-sla-monitor ledger` rebuilds from the topics."""
        m = month_of(month)
        lines = ledger(await source.breaches(m, as_of or now()), penalty)
        if _wants_csv(request, fmt):
            return _csv_response(ledger_csv(m, lines, tz), f"sla-ledger-{m}.csv")
        return ledger_json(m, lines, penalty, tz)

    return router
