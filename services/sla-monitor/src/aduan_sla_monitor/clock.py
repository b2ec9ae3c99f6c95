"""Assignments and their clocks, built from recorded facts (DOMAIN.md "Deadlines (SLA)").

Pure domain code: :func:`assignments` folds a report's ``ReportRouted`` (its arrival at the first
unit, as version 0) and ``StatusChanged`` events (versions 1, 2, …) into one :class:`Assignment`
per stay of the report at a unit, and :func:`due_signals` says which warnings and breaches are
due at an injected ``now``. Nothing here reads the clock or does I/O, so a replay of the same
events gives the same assignments, deadlines and signal keys. An assignment is numbered by its
place among the report's stays (``<report_id>:1``, ``:2``, …), so its id does not depend on
whether the routing or the first status change was seen first.

Rules (each a test in ``tests/test_clock.py``):

- **Arrival** opens a stay: the routing to a unit, ``waiting`` at a unit, or ``disposition`` to a
  Sudin (the same unit again is the same stay). Its
  ``response`` clock runs from that event; deadline and warning points come from the
  :class:`~aduan_sla_monitor.calendars.SlaPolicy` (per category).
- **Coordination** (``coordination``, the admin pool ``crm-admin``) is a stay too, measured
  (arrival and leaving times) but charged to no unit: it has no clocks.
- **Handed over** (to ``coordination``, a ``disposition`` elsewhere, ``waiting`` at another unit)
  ends the stay: its clocks stop then, so it is breached only if it left after the deadline.
- **Handled** = reached ``scheduled`` (the response clock stops then), or reached
  ``verification`` and later approved (``done``; the clock stops at the verification). While
  verification is pending the clock counts as provisionally stopped; if the verifier sends the
  report back (``verification`` → ``in_progress``) the clock is as if it had never stopped, so a
  deadline that passed in the meantime is breached (and signalled as soon as it is seen).
  Where the city turns verification off, ``done`` stops the clock directly.
- **Scheduled** opens a second clock of kind ``estimate_missed``, due at the end of the estimated
  day (23:59:59 local); it stops when the report reaches ``verification`` (provisionally, as
  above) or ``done``. A new ``scheduled`` (after a send-back) stops the previous estimate clock
  and opens a new one.
- **Rejected** ends the stay and stops its clocks: no breach unless a deadline had already
  passed before the rejection. A rejection with ``duplicate_of`` (merged duplicate) makes the
  stay exempt: it charges nothing and signals nothing.
- A reopen (``done`` → ``in_progress``) opens no new clock: the stay was already handled.

A clock point (warning or deadline) is *passed* when the clock was still running at that
instant (a stop exactly at the deadline is on time); the signal is due once ``now`` reaches it.
Each signal has a stable :attr:`Signal.key` (assignment id, clock, point) so the service can emit
it exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, TypeAlias

from aduan_shared.events import ReportRouted, ReportState, StatusChanged

from aduan_sla_monitor.calendars import SlaPolicy, WarningPoint, end_of_day

ADMIN_POOL = "crm-admin"
#: States in which a unit holds the report: arriving in one of them opens a stay.
ARRIVAL_STATES = frozenset({ReportState.WAITING, ReportState.DISPOSITION})

ClockKind = Literal["response", "estimate_missed"]
SignalType = Literal["warning", "breach"]


@dataclass(frozen=True)
class Fact:
    """What the clocks need of one recorded event: a status change, or the routing (version 0)."""

    report_id: str
    version: int
    at: datetime
    from_state: ReportState | None
    to_state: ReportState
    unit_id: str | None
    correlation_id: str
    category: str | None = None
    tracking_code: str | None = None
    estimated_completion: datetime | None = None
    merged: bool = False  # rejected as a duplicate of another report

    @classmethod
    def of(cls, event: StatusChanged | ReportRouted) -> Fact:
        common: dict[str, Any] = {
            "report_id": str(event.report_id),
            "at": event.occurred_at,
            "correlation_id": event.correlation_id,
            "category": event.category,
            "tracking_code": event.tracking_code,
        }
        if isinstance(event, ReportRouted):
            pool = event.needs_coordination or event.unit_id is None
            return cls(
                version=0,
                from_state=ReportState.RECEIVED,
                to_state=ReportState.COORDINATION if pool else ReportState.WAITING,
                unit_id=None if pool else event.unit_id,
                **common,
            )
        return cls(
            version=event.version,
            from_state=event.from_state,
            to_state=event.to_state,
            unit_id=event.unit_id,
            estimated_completion=event.estimated_completion,
            merged=event.duplicate_of is not None,
            **common,
        )


@dataclass(frozen=True)
class Clock:
    """One deadline of a stay, with the instant it stopped (None while running)."""

    clock_id: str
    kind: ClockKind
    started_at: datetime
    deadline: datetime
    warnings: tuple[WarningPoint, ...] = ()
    stopped_at: datetime | None = None
    #: Provisional stop: in verification, not yet approved (undone by a send-back).
    pending_since: datetime | None = None

    @property
    def effective_stop(self) -> datetime | None:
        return self.stopped_at if self.stopped_at is not None else self.pending_since

    def passed(self, point: datetime) -> bool:
        """Was the clock still running at `point`?"""
        stop = self.effective_stop
        return stop is None or stop > point

    @property
    def breached(self) -> bool:
        """Breached for good: stopped (finally) after its deadline."""
        return self.stopped_at is not None and self.stopped_at > self.deadline


@dataclass(frozen=True)
class Assignment:
    """One stay of a report at one unit (or in the admin pool, uncharged)."""

    assignment_id: str
    report_id: str
    unit_id: str
    category: str | None
    arrived_at: datetime
    #: Of the event that opened the stay (signals carry it, so a breach traces to its cause).
    correlation_id: str = ""
    tracking_code: str | None = None
    left_at: datetime | None = None
    charged: bool = True
    exempt: bool = False
    clocks: tuple[Clock, ...] = ()

    def duration(self, now: datetime) -> timedelta:
        """Time the unit (or the pool) has held the report, up to `now` if still held."""
        return (self.left_at or now) - self.arrived_at


@dataclass(frozen=True)
class Signal:
    """A warning or a breach due for a clock of an assignment."""

    type: SignalType
    kind: ClockKind
    assignment_id: str
    clock_id: str
    report_id: str
    unit_id: str
    at: datetime
    deadline: datetime
    days_elapsed: float
    warning_days: int | None = None
    correlation_id: str = ""
    tracking_code: str | None = None

    @property
    def key(self) -> str:
        """Stable idempotency key: assignment, clock, and point (``breach`` or ``warning:k``)."""
        point = "breach" if self.warning_days is None else f"warning:{self.warning_days}"
        return f"{self.assignment_id}/{self.clock_id}/{point}"


# --- building assignments ------------------------------------------------------------------


@dataclass
class _Stay:
    """Mutable builder of an :class:`Assignment`."""

    assignment: Assignment
    clocks: list[Clock] = field(default_factory=list)

    def freeze(self) -> Assignment:
        return replace(self.assignment, clocks=tuple(self.clocks))

    def update(
        self, index: int, stopped_at: datetime | None, pending_since: datetime | None
    ) -> None:
        self.clocks[index] = replace(
            self.clocks[index], stopped_at=stopped_at, pending_since=pending_since
        )

    def stop_all(self, at: datetime) -> None:
        """Stop every running clock at `at` (a pending verification is not an approval)."""
        for i, c in enumerate(self.clocks):
            if c.stopped_at is None:
                self.update(i, at, None)

    def stop_kind(self, kind: ClockKind, at: datetime) -> None:
        for i, c in enumerate(self.clocks):
            if c.kind == kind and c.stopped_at is None:
                self.update(i, at, None)

    def pend(self, at: datetime) -> None:
        for i, c in enumerate(self.clocks):
            if c.stopped_at is None:
                self.update(i, None, at)

    def resume(self) -> None:
        for i, c in enumerate(self.clocks):
            if c.stopped_at is None:
                self.update(i, None, None)

    def approve(self, at: datetime) -> None:
        for i, c in enumerate(self.clocks):
            if c.stopped_at is None:
                self.update(i, c.pending_since or at, None)


class _ReportFold:
    """Folds one report's facts, in version order, into its stays."""

    def __init__(self, policy: SlaPolicy) -> None:
        self.policy = policy
        self.stays: list[_Stay] = []
        self.current: _Stay | None = None
        self.category: str | None = None
        self.tracking_code: str | None = None

    def apply(self, f: Fact) -> None:
        self.category = f.category or self.category
        self.tracking_code = f.tracking_code or self.tracking_code
        if f.to_state is ReportState.REJECTED:
            self._leave(f.at, exempt=f.merged)
        elif f.to_state is ReportState.COORDINATION:
            if self.current is None or self.current.assignment.charged:
                self._leave(f.at)
                self._open(f, f.unit_id or ADMIN_POOL, charged=False)
        elif f.to_state in ARRIVAL_STATES and self._is_arrival(f):
            self._leave(f.at)
            self._open(f, f.unit_id or ADMIN_POOL, charged=True)
        elif self.current is not None and self.current.assignment.charged:
            self._progress(self.current, f)

    def _is_arrival(self, f: Fact) -> bool:
        cur = self.current
        if cur is None or not cur.assignment.charged:
            return True
        return f.unit_id is not None and f.unit_id != cur.assignment.unit_id

    def _progress(self, stay: _Stay, f: Fact) -> None:
        at, frm, to = f.at, f.from_state, f.to_state
        if to is ReportState.SCHEDULED:
            stay.stop_kind("response", at)
            stay.stop_kind("estimate_missed", at)
            if f.estimated_completion is not None:
                stay.clocks.append(self._estimate_clock(f, f.estimated_completion))
        elif to is ReportState.VERIFICATION:
            stay.pend(at)
        elif to is ReportState.DONE:
            stay.approve(at) if frm is ReportState.VERIFICATION else stay.stop_all(at)
            self._leave(at)
        elif to is ReportState.IN_PROGRESS and frm is ReportState.VERIFICATION:
            stay.resume()

    def _estimate_clock(self, f: Fact, estimate: datetime) -> Clock:
        day = estimate.astimezone(self.policy.tz).date()
        return Clock(
            clock_id=f"estimate_missed:{f.version}",
            kind="estimate_missed",
            started_at=f.at,
            deadline=end_of_day(day, self.policy.tz),
        )

    def _open(self, f: Fact, unit_id: str, *, charged: bool) -> None:
        at = f.at
        assignment = Assignment(
            assignment_id=f"{f.report_id}:{len(self.stays) + 1}",
            report_id=f.report_id,
            unit_id=unit_id,
            category=self.category,
            arrived_at=at,
            correlation_id=f.correlation_id,
            tracking_code=self.tracking_code,
            charged=charged,
        )
        stay = _Stay(assignment)
        if charged:
            stay.clocks.append(
                Clock(
                    clock_id="response",
                    kind="response",
                    started_at=at,
                    deadline=self.policy.deadline(at, self.category),
                    warnings=self.policy.warning_points(at, self.category),
                )
            )
        self.stays.append(stay)
        self.current = stay

    def _leave(self, at: datetime, *, exempt: bool = False) -> None:
        stay = self.current
        if stay is None:
            return
        stay.stop_all(at)
        stay.assignment = replace(stay.assignment, left_at=at, exempt=exempt)
        self.current = None


Recorded: TypeAlias = StatusChanged | ReportRouted


def assignments(events: Iterable[Recorded | Fact], policy: SlaPolicy) -> list[Assignment]:
    """All stays of the reports in `events` (any order; each report's facts sorted by version,
    the routing first).

    Ordered by report (first seen) and arrival.
    """
    by_report: dict[str, dict[int, Fact]] = defaultdict(dict)
    for e in events:
        f = e if isinstance(e, Fact) else Fact.of(e)
        by_report[f.report_id].setdefault(f.version, f)
    result: list[Assignment] = []
    for facts in by_report.values():
        fold = _ReportFold(policy)
        for version in sorted(facts):
            fold.apply(facts[version])
        result.extend(s.freeze() for s in fold.stays)
    return result


# --- signals -------------------------------------------------------------------------------


def _signal(a: Assignment, c: Clock, at: datetime, warning_days: int | None = None) -> Signal:
    return Signal(
        type="breach" if warning_days is None else "warning",
        kind=c.kind,
        assignment_id=a.assignment_id,
        clock_id=c.clock_id,
        report_id=a.report_id,
        unit_id=a.unit_id,
        at=at,
        deadline=c.deadline,
        days_elapsed=(at - a.arrived_at) / timedelta(days=1),
        warning_days=warning_days,
        correlation_id=a.correlation_id,
        tracking_code=a.tracking_code,
    )


def clock_signals(a: Assignment, c: Clock, now: datetime) -> list[Signal]:
    """The signals of one clock due at `now`: passed warning points, then the breach."""
    out = [_signal(a, c, w.at, w.days) for w in c.warnings if w.at <= now and c.passed(w.at)]
    if c.deadline <= now and c.passed(c.deadline):
        out.append(_signal(a, c, c.deadline))
    return out


def due_signals(assignments: Iterable[Assignment], now: datetime) -> list[Signal]:
    """Every warning and breach due at `now` (emit each once, by :attr:`Signal.key`).

    Uncharged (admin pool) and exempt (merged duplicate) assignments signal nothing. The
    result is ordered by the instant each signal became due, then by key.
    """
    out = [
        s
        for a in assignments
        if a.charged and not a.exempt
        for c in a.clocks
        for s in clock_signals(a, c, now)
    ]
    return sorted(out, key=lambda s: (s.at, s.key))


def breaches(assignments: Iterable[Assignment], now: datetime) -> list[Signal]:
    """The breaches due at `now` (what a ledger charges)."""
    return [s for s in due_signals(assignments, now) if s.type == "breach"]


def first_point(assignments: Iterable[Assignment]) -> datetime | None:
    """The earliest warning or deadline at which a clock was running: from then on a scan may
    find a signal of these assignments (whether or not earlier scans sent it already)."""
    points = [
        p
        for a in assignments
        if a.charged and not a.exempt
        for c in a.clocks
        for p in (*(w.at for w in c.warnings), c.deadline)
        if c.passed(p)
    ]
    return min(points, default=None)


def next_point(assignments: Iterable[Assignment], now: datetime) -> datetime | None:
    """The earliest warning or deadline after `now` of a clock still running (not stopped nor
    pending verification): when the next signal may fall due without any new event."""
    points = [
        p
        for a in assignments
        if a.charged and not a.exempt
        for c in a.clocks
        if c.effective_stop is None
        for p in (*(w.at for w in c.warnings), c.deadline)
        if p > now
    ]
    return min(points, default=None)
