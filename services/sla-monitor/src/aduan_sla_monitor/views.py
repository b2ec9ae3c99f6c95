"""How an assignment is shown (`GET /v1/sla/cases/{id}`): pure, over an injected `now`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal

from aduan_sla_monitor.clock import Assignment, Clock

ClockState = Literal["running", "pending_verification", "met", "breached"]
AssignmentState = Literal["open", "handled", "breached", "uncharged", "exempt"]


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def clock_state(c: Clock, now: datetime) -> ClockState:
    """`breached` once the clock was still running at its deadline and the deadline is past."""
    if c.deadline <= now and c.passed(c.deadline):
        return "breached"
    if c.stopped_at is not None:
        return "met"
    return "running" if c.pending_since is None else "pending_verification"


def assignment_state(a: Assignment, now: datetime) -> AssignmentState:
    if a.exempt:
        return "exempt"
    if not a.charged:
        return "uncharged"
    states = {clock_state(c, now) for c in a.clocks}
    if "breached" in states:
        return "breached"
    if states & {"running", "pending_verification"}:
        return "open"
    return "handled"


def clock_view(c: Clock, now: datetime) -> dict[str, Any]:
    return {
        "clock_id": c.clock_id,
        "kind": c.kind,
        "started_at": _iso(c.started_at),
        "deadline": _iso(c.deadline),
        "warnings": [{"days": w.days, "at": _iso(w.at)} for w in c.warnings],
        "stopped_at": _iso(c.stopped_at),
        "pending_since": _iso(c.pending_since),
        "state": clock_state(c, now),
    }


def assignment_view(a: Assignment, now: datetime) -> dict[str, Any]:
    """One assignment: unit, arrival, deadline (response clock), warnings, clocks and state."""
    response = next((c for c in a.clocks if c.kind == "response"), None)
    state = assignment_state(a, now)
    return {
        "assignment_id": a.assignment_id,
        "unit_id": a.unit_id,
        "category": a.category,
        "arrived_at": _iso(a.arrived_at),
        "left_at": _iso(a.left_at),
        "deadline": _iso(response.deadline) if response else None,
        "warnings": [{"days": w.days, "at": _iso(w.at)} for w in response.warnings]
        if response
        else [],
        "charged": a.charged,
        "exempt": a.exempt,
        "state": state,
        "handled": state == "handled",
        "breached": state == "breached",
        "held_s": a.duration(now).total_seconds(),
        "clocks": [clock_view(c, now) for c in a.clocks],
    }


def needs_scan(assignments: list[Assignment]) -> bool:
    """Can a clock still produce a signal later? (running, or pending a verification)."""
    return any(
        c.stopped_at is None for a in assignments if a.charged and not a.exempt for c in a.clocks
    )


Outcome = str  # on_time | late | running | pending (verification)


@dataclass(frozen=True)
class ClockRow:
    """One clock of a charged assignment, as the `clocks` index stores it."""

    key: str
    report_id: str
    assignment_id: str
    unit_id: str
    unit_kind: str
    kind: str
    arrived_at: datetime
    deadline: datetime
    deadline_month: str
    stopped_at: datetime | None
    outcome: Outcome

    def document(self) -> dict[str, Any]:
        return {
            "_id": self.key,
            "report_id": self.report_id,
            "assignment_id": self.assignment_id,
            "unit_id": self.unit_id,
            "unit_kind": self.unit_kind,
            "kind": self.kind,
            "arrived_at": self.arrived_at,
            "deadline": self.deadline,
            "deadline_month": self.deadline_month,
            "stopped_at": self.stopped_at,
            "outcome": self.outcome,
        }


def unit_kind(unit_id: str) -> str:
    """`kelurahan`, `kecamatan`, `kota`, `dinas` or `sudin` from the unit id's prefix."""
    return unit_id.split(":", 1)[0] if ":" in unit_id else "other"


def outcome(c: Clock) -> Outcome:
    if c.stopped_at is not None:
        return "on_time" if c.stopped_at <= c.deadline else "late"
    return "running" if c.pending_since is None else "pending"


def clock_rows(stays: Iterable[Assignment], tz: tzinfo) -> list[ClockRow]:
    """The rows of the `clocks` index: every clock of the charged, non-exempt assignments."""
    return [
        ClockRow(
            key=f"{a.assignment_id}/{c.clock_id}",
            report_id=a.report_id,
            assignment_id=a.assignment_id,
            unit_id=a.unit_id,
            unit_kind=unit_kind(a.unit_id),
            kind=c.kind,
            arrived_at=a.arrived_at,
            deadline=c.deadline,
            deadline_month=c.deadline.astimezone(tz).strftime("%Y-%m"),
            stopped_at=c.stopped_at,
            outcome=outcome(c),
        )
        for a in stays
        if a.charged and not a.exempt
        for c in a.clocks
    ]


#: Upper bounds (days since arrival) of the backlog's age buckets; the last is open-ended.
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("0-1d", 1),
    ("1-3d", 3),
    ("3-4d", 4),
    ("4-5d", 5),
    ("5-6d", 6),
    ("6d+", float("inf")),
)


def age_bucket(arrived_at: datetime, now: datetime) -> str:
    days = (now - arrived_at).total_seconds() / 86400
    return next(label for label, upper in AGE_BUCKETS if days < upper)
