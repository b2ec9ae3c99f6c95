"""How an assignment is shown (`GET /v1/sla/cases/{id}`): pure, over an injected `now`."""

from __future__ import annotations

from datetime import datetime
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
