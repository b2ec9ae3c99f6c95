"""Assignments opened by status changes, with calendar-mode deadlines (pure)."""

import uuid
from datetime import datetime, timedelta, timezone

from aduan_shared.events import Actor, ReportState, StatusChanged
from aduan_sla_monitor.domain import assignment_opened, calendar_deadline

WIB = timezone(timedelta(hours=7))
ARRIVAL = datetime(2026, 11, 20, 23, 59, tzinfo=WIB)  # a Friday night


def change(
    frm: ReportState | None,
    to: ReportState,
    unit: str | None = "kelurahan:1",
    previous: str | None = None,
    version: int = 1,
) -> StatusChanged:
    return StatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=ARRIVAL,
        report_id=uuid.uuid4(),
        correlation_id="c",
        from_state=frm,
        to_state=to,
        unit_id=unit,
        previous_unit_id=previous,
        actor=Actor(role="system", id="t"),
        version=version,
    )


def test_calendar_deadline_is_six_times_24_hours() -> None:
    assert calendar_deadline(ARRIVAL, 6) == datetime(2026, 11, 26, 23, 59, tzinfo=WIB)


def test_arrival_at_a_unit_opens_an_assignment() -> None:
    a = assignment_opened(change(ReportState.RECEIVED, ReportState.WAITING), 6)
    assert a is not None
    assert a.unit_id == "kelurahan:1"
    assert a.deadline - a.arrived_at == timedelta(days=6)


def test_admin_pool_and_work_states_open_nothing() -> None:
    assert assignment_opened(change(ReportState.RECEIVED, ReportState.COORDINATION), 6) is None
    assert assignment_opened(change(ReportState.WAITING, ReportState.IN_PROGRESS), 6) is None


def test_same_unit_staying_in_a_holding_state_opens_nothing() -> None:
    again = change(ReportState.WAITING, ReportState.WAITING, previous="kelurahan:1", version=2)
    assert assignment_opened(again, 6) is None
    moved = change(
        ReportState.WAITING, ReportState.DISPOSITION, unit="sudin:x", previous="dinas:x", version=2
    )
    opened = assignment_opened(moved, 6)
    assert opened is not None and opened.unit_id == "sudin:x"
