"""Assignments and signals from status-changed facts: table-driven scenarios, exact instants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from aduan_shared.events import Actor, ReportState, StatusChanged
from aduan_sla_monitor.calendars import JAKARTA, Calendar, Mode, SlaPolicy
from aduan_sla_monitor.clock import ADMIN_POOL, Assignment, assignments, breaches, due_signals

S = ReportState
REPORT = uuid.UUID(int=6)
T0 = datetime(2026, 11, 17, 10, tzinfo=JAKARTA)  # a Tuesday
CALENDAR = SlaPolicy()
WORKING = SlaPolicy(calendar=Calendar(Mode.WORKING))
KEL, SUDIN, DINAS = "kelurahan:3171011001", "sudin:sda:jaksel", "dinas:sda"
LATER = T0 + timedelta(days=60)


def day(d: float) -> datetime:
    return T0 + timedelta(days=d)


def wib(m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(2026, m, d, h, mi, s, tzinfo=JAKARTA)


@dataclass(frozen=True)
class Step:
    at: datetime
    frm: ReportState | None
    to: ReportState
    unit: str | None = KEL
    estimate: datetime | None = None
    duplicate_of: uuid.UUID | None = None


def facts(*steps: Step, report: uuid.UUID = REPORT) -> list[StatusChanged]:
    out, previous = [], None
    for version, s in enumerate(steps, start=1):
        out.append(
            StatusChanged(
                event_id=uuid.uuid5(report, str(version)),
                occurred_at=s.at,
                report_id=report,
                correlation_id="c",
                from_state=s.frm,
                to_state=s.to,
                unit_id=s.unit,
                previous_unit_id=previous if previous != s.unit else None,
                actor=Actor(role="t", id="t"),
                version=version,
                estimated_completion=s.estimate,
                duplicate_of=s.duplicate_of,
                category="Jalan",
            )
        )
        previous = s.unit
    return out


ARRIVE = Step(T0, S.RECEIVED, S.WAITING)
ACCEPT = Step(day(1), S.WAITING, S.IN_PROGRESS)


def breach_table(
    steps: list[Step], policy: SlaPolicy = CALENDAR
) -> list[tuple[str, str, datetime]]:
    found = breaches(assignments(facts(*steps), policy), LATER)
    return [(b.unit_id, b.kind, b.deadline) for b in found]


SCENARIOS: list[tuple[str, list[Step], list[tuple[str, str, datetime]]]] = [
    ("never followed up", [ARRIVE, ACCEPT], [(KEL, "response", day(6))]),
    (
        "scheduled on day 2 then done in time",
        [
            ARRIVE,
            ACCEPT,
            Step(day(2), S.IN_PROGRESS, S.SCHEDULED, estimate=wib(11, 25, 8)),
            Step(wib(11, 25, 20), S.SCHEDULED, S.VERIFICATION),
            Step(wib(11, 26, 9), S.VERIFICATION, S.DONE),
        ],
        [],
    ),
    (
        "verification on day 5, approved on day 7: handled on day 5",
        [
            ARRIVE,
            ACCEPT,
            Step(day(5), S.IN_PROGRESS, S.VERIFICATION),
            Step(day(7), S.VERIFICATION, S.DONE),
        ],
        [],
    ),
    (
        "verification off: done on day 3",
        [ARRIVE, ACCEPT, Step(day(3), S.IN_PROGRESS, S.DONE)],
        [],
    ),
    (
        "hand-over after 5 days: first unit not charged",
        [
            ARRIVE,
            Step(day(5), S.WAITING, S.COORDINATION, unit=ADMIN_POOL),
            Step(day(5.5), S.COORDINATION, S.WAITING, unit=SUDIN),
        ],
        [(SUDIN, "response", day(11.5))],
    ),
    (
        "hand-over after 7 days: first unit charged",
        [
            ARRIVE,
            ACCEPT,
            Step(day(7), S.IN_PROGRESS, S.COORDINATION, unit=ADMIN_POOL),
            Step(day(8), S.COORDINATION, S.WAITING, unit=SUDIN),
            Step(day(9), S.WAITING, S.IN_PROGRESS, unit=SUDIN),
            Step(day(10), S.IN_PROGRESS, S.SCHEDULED, unit=SUDIN, estimate=day(12)),
            Step(day(11), S.SCHEDULED, S.VERIFICATION, unit=SUDIN),
            Step(day(12), S.VERIFICATION, S.DONE, unit=SUDIN),
        ],
        [(KEL, "response", day(6))],
    ),
    (
        "Dinas → Sudin disposition: the Sudin's own clock, the Dinas not charged",
        [
            Step(T0, S.RECEIVED, S.WAITING, unit=DINAS),
            Step(day(1), S.WAITING, S.IN_PROGRESS, unit=DINAS),
            Step(day(2), S.IN_PROGRESS, S.DISPOSITION, unit=SUDIN),
            Step(day(3), S.DISPOSITION, S.IN_PROGRESS, unit=SUDIN),
        ],
        [(SUDIN, "response", day(8))],
    ),
    (
        "Dinas disposes on day 7: the Dinas is charged too",
        [
            Step(T0, S.RECEIVED, S.WAITING, unit=DINAS),
            Step(day(7), S.WAITING, S.DISPOSITION, unit=SUDIN),
            Step(day(8), S.DISPOSITION, S.IN_PROGRESS, unit=SUDIN),
            Step(day(9), S.IN_PROGRESS, S.SCHEDULED, unit=SUDIN, estimate=day(20)),
            Step(day(19), S.SCHEDULED, S.VERIFICATION, unit=SUDIN),
            Step(day(20), S.VERIFICATION, S.DONE, unit=SUDIN),
        ],
        [(DINAS, "response", day(6))],
    ),
    (
        "send-back by the verifier after day 5: the clock never stopped",
        [
            ARRIVE,
            ACCEPT,
            Step(day(3.5), S.IN_PROGRESS, S.VERIFICATION),
            Step(day(5.5), S.VERIFICATION, S.IN_PROGRESS),
            Step(day(6.5), S.IN_PROGRESS, S.VERIFICATION),
            Step(day(7), S.VERIFICATION, S.DONE),
        ],
        [(KEL, "response", day(6))],
    ),
    (
        "scheduled then missed",
        [
            ARRIVE,
            ACCEPT,
            Step(day(2), S.IN_PROGRESS, S.SCHEDULED, estimate=wib(11, 25, 8)),
            Step(wib(11, 26, 0, 0, 1), S.SCHEDULED, S.VERIFICATION),
            Step(wib(11, 26, 9), S.VERIFICATION, S.DONE),
        ],
        [(KEL, "estimate_missed", wib(11, 25, 23, 59, 59))],
    ),
    (
        "scheduled, verified in time, sent back: the estimate is missed",
        [
            ARRIVE,
            ACCEPT,
            Step(day(2), S.IN_PROGRESS, S.SCHEDULED, estimate=wib(11, 25)),
            Step(wib(11, 25, 12), S.SCHEDULED, S.VERIFICATION),
            Step(wib(11, 27, 12), S.VERIFICATION, S.IN_PROGRESS),
        ],
        [(KEL, "estimate_missed", wib(11, 25, 23, 59, 59))],
    ),
    ("rejected on day 3: no breach", [ARRIVE, Step(day(3), S.WAITING, S.REJECTED)], []),
    (
        "rejected on day 7: the day-6 breach stands",
        [ARRIVE, ACCEPT, Step(day(7), S.IN_PROGRESS, S.REJECTED)],
        [(KEL, "response", day(6))],
    ),
    (
        "merged as a duplicate on day 7: charges nothing",
        [ARRIVE, ACCEPT, Step(day(7), S.IN_PROGRESS, S.REJECTED, duplicate_of=uuid.UUID(int=5))],
        [],
    ),
    (
        "ten days in the admin pool: charged to no one",
        [
            Step(T0, S.RECEIVED, S.COORDINATION, unit=ADMIN_POOL),
            Step(day(10), S.COORDINATION, S.WAITING),
            Step(day(11), S.WAITING, S.IN_PROGRESS),
            Step(day(12), S.IN_PROGRESS, S.SCHEDULED, estimate=day(14)),
            Step(day(14), S.SCHEDULED, S.DONE),
        ],
        [],
    ),
    (
        "handled exactly at the deadline is on time",
        [
            ARRIVE,
            ACCEPT,
            Step(day(6), S.IN_PROGRESS, S.SCHEDULED, estimate=day(9)),
            Step(day(9), S.SCHEDULED, S.VERIFICATION),
            Step(day(10), S.VERIFICATION, S.DONE),
        ],
        [],
    ),
]


@pytest.mark.parametrize(
    ("steps", "expected"), [(s, e) for _, s, e in SCENARIOS], ids=[n for n, _, _ in SCENARIOS]
)
def test_breaches(steps: list[Step], expected: list[tuple[str, str, datetime]]) -> None:
    assert breach_table(steps) == expected


FRIDAY_2359 = wib(11, 20, 23, 59)


@pytest.mark.parametrize(
    ("policy", "deadline"),
    [(CALENDAR, wib(11, 26, 23, 59)), (WORKING, wib(11, 30, 23, 59))],
    ids=["calendar", "working"],
)
def test_friday_2359_arrival_in_each_mode(policy: SlaPolicy, deadline: datetime) -> None:
    steps = [Step(FRIDAY_2359, S.RECEIVED, S.WAITING)]
    assert breach_table(steps, policy) == [(KEL, "response", deadline)]


def test_working_mode_hand_over_on_calendar_day_7_is_still_in_time() -> None:
    # Tue 10:00 + 6 working days = Wed 25 Nov 10:00; handed over Tue 24 Nov (calendar day 7).
    steps = [ARRIVE, Step(day(7), S.WAITING, S.COORDINATION, unit=ADMIN_POOL)]
    assert breach_table(steps, WORKING) == []
    assert breach_table(steps, CALENDAR) == [(KEL, "response", day(6))]


def stays(*steps: Step) -> list[Assignment]:
    return assignments(facts(*steps), CALENDAR)


def test_hand_over_gives_one_assignment_per_stay_with_the_pool_uncharged() -> None:
    a = stays(
        ARRIVE,
        Step(day(5), S.WAITING, S.COORDINATION, unit=ADMIN_POOL),
        Step(day(5.5), S.COORDINATION, S.WAITING, unit=SUDIN),
    )
    assert [(x.unit_id, x.charged, x.arrived_at, x.left_at) for x in a] == [
        (KEL, True, T0, day(5)),
        (ADMIN_POOL, False, day(5), day(5.5)),
        (SUDIN, True, day(5.5), None),
    ]
    assert [x.assignment_id for x in a] == [f"{REPORT}:1", f"{REPORT}:2", f"{REPORT}:3"]
    assert a[1].clocks == ()
    assert a[1].duration(LATER) == timedelta(hours=12)
    assert a[2].clocks[0].deadline == day(11.5)


def test_duplicate_merge_marks_the_assignment_exempt() -> None:
    dup = Step(day(7), S.WAITING, S.REJECTED, duplicate_of=uuid.UUID(int=5))
    (a,) = stays(ARRIVE, dup)
    assert a.exempt and a.left_at == day(7)
    assert due_signals([a], LATER) == []


def test_warnings_then_breach_as_time_passes_with_stable_keys() -> None:
    a = stays(ARRIVE, ACCEPT)
    assert due_signals(a, day(3.9)) == []
    at_4 = due_signals(a, day(4))
    assert [(s.type, s.warning_days, s.at) for s in at_4] == [("warning", 4, day(4))]
    at_6 = due_signals(a, day(6))
    assert [s.key for s in at_6] == [
        f"{REPORT}:1/response/warning:4",
        f"{REPORT}:1/response/warning:5",
        f"{REPORT}:1/response/breach",
    ]
    assert at_6[-1].days_elapsed == 6.0
    assert due_signals(a, LATER) == at_6  # nothing new, same keys: emit each once


def test_send_back_makes_the_skipped_warning_due() -> None:
    verification = Step(day(3.5), S.IN_PROGRESS, S.VERIFICATION)
    pending = stays(ARRIVE, ACCEPT, verification)
    assert due_signals(pending, day(5.4)) == []  # provisionally stopped
    sent_back = stays(ARRIVE, ACCEPT, verification, Step(day(5.5), S.VERIFICATION, S.IN_PROGRESS))
    assert [s.key.rsplit("/", 1)[1] for s in due_signals(sent_back, day(5.5))] == [
        "warning:4",
        "warning:5",
    ]
    assert breaches(sent_back, day(6))[0].deadline == day(6)


def test_scheduled_opens_an_estimate_clock_without_warnings() -> None:
    (a,) = stays(ARRIVE, ACCEPT, Step(day(2), S.IN_PROGRESS, S.SCHEDULED, estimate=wib(11, 25, 8)))
    response, estimate = a.clocks
    assert response.stopped_at == day(2)
    assert (estimate.kind, estimate.deadline, estimate.warnings) == (
        "estimate_missed",
        wib(11, 25, 23, 59, 59),
        (),
    )
    assert due_signals([a], wib(11, 25, 23, 59, 58)) == []
    (missed,) = due_signals([a], wib(11, 25, 23, 59, 59))
    assert missed.key == f"{REPORT}:1/estimate_missed:3/breach"


def test_reports_are_folded_independently_and_in_version_order() -> None:
    other = uuid.UUID(int=7)
    events = facts(ARRIVE, ACCEPT) + facts(
        ARRIVE, Step(day(3), S.WAITING, S.REJECTED), report=other
    )
    result = assignments(reversed(events), CALENDAR)
    assert {(a.report_id, a.left_at) for a in result} == {(str(REPORT), None), (str(other), day(3))}
    assert [b.report_id for b in breaches(result, LATER)] == [str(REPORT)]
