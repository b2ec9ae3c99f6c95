"""SLA clock rules as pure functions (calendar mode: arrival + N × 24 h)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aduan_shared.events import ReportState, StatusChanged

#: States in which a unit holds the report and its response clock runs.
HOLDING_STATES = frozenset({ReportState.WAITING, ReportState.DISPOSITION})


@dataclass(frozen=True)
class Assignment:
    """One stay of a report at one unit."""

    assignment_id: str
    report_id: str
    unit_id: str
    arrived_at: datetime
    deadline: datetime


def calendar_deadline(arrived_at: datetime, days: float) -> datetime:
    """Calendar mode: arrival + days × 24 h."""
    return arrived_at + timedelta(days=days)


def assignment_opened(event: StatusChanged, days: float) -> Assignment | None:
    """The assignment a status change opens: arrival at a unit that must respond, else None."""
    if event.to_state not in HOLDING_STATES or event.unit_id is None:
        return None
    if event.from_state in HOLDING_STATES and event.previous_unit_id in (None, event.unit_id):
        return None
    return Assignment(
        assignment_id=f"{event.report_id}:{event.version}",
        report_id=str(event.report_id),
        unit_id=event.unit_id,
        arrived_at=event.occurred_at,
        deadline=calendar_deadline(event.occurred_at, days),
    )
