"""The ledger from the facts alone: breaches in a month, heads at the deadline, the cut table."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from aduan_shared.cityconfig import Head, PenaltyStep, SlaConfig, load_city
from aduan_shared.events import AreaRef, ReportRouted, ReportState, StatusChanged
from aduan_sla_monitor.app import city_policy
from aduan_sla_monitor.calendars import JAKARTA, Mode, SlaPolicy, policy_from_config
from aduan_sla_monitor.clock import assignments, due_signals
from aduan_sla_monitor.ledger import (
    Month,
    cut_percent,
    ledger,
    ledger_csv,
    ledger_json,
    month_breaches,
)
from aduan_sla_monitor.views import age_bucket, clock_rows
from aduan_testkit.city import JAKARTA as JAKARTA_CONFIG

from .facts import KEL, change

S = ReportState
POLICY = SlaPolicy()
TABLE = (PenaltyStep(min_breaches=1, cut_percent=10),)


def wib(m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(2026, m, d, h, mi, tzinfo=JAKARTA)


def routed(report: uuid.UUID, at: datetime, unit: str | None = KEL) -> ReportRouted:
    return ReportRouted(
        event_id=uuid.uuid5(report, "routed"),
        occurred_at=at,
        report_id=report,
        correlation_id=f"corr-{report.int}",
        category="Jalan Rusak",
        category_source="given",
        kelurahan=AreaRef(kode="31.74.03.1002", name="Bangka"),
        unit_id=unit,
        method="polygon" if unit else "none",
        needs_coordination=unit is None,
        reason=None if unit else "no_location",
        tracking_code=f"JKT-{report.int:08d}",
        channel="jaki",
    )


def heads_of_bangka(unit_id: str, at: datetime) -> Head:
    """The real rotation in units.yaml: a new Lurah Bangka from 16 November 2026."""
    if at.astimezone(JAKARTA).date() < date(2026, 11, 16):
        return Head(official_id="nip:old", name="Lurah Bangka (lama)", **{"from": date(2023, 3, 1)})
    return Head(official_id="nip:new", name="Lurah Bangka (baru)", **{"from": date(2026, 11, 16)})


def ignored(report: int, arrival: datetime) -> list[StatusChanged]:
    return [change(uuid.UUID(int=report), 1, S.RECEIVED, S.WAITING, arrival)]


# --- the routing is the first arrival -----------------------------------------------------------


def test_routing_alone_starts_the_clock_and_the_first_status_change_is_the_same_stay() -> None:
    r = uuid.UUID(int=1)
    only_routed = assignments([routed(r, wib(11, 2, 9))], POLICY)
    both = assignments(
        [change(r, 1, S.RECEIVED, S.WAITING, wib(11, 2, 9)), routed(r, wib(11, 2, 9))], POLICY
    )
    assert [(a.assignment_id, a.unit_id, a.arrived_at) for a in only_routed] == [
        (f"{r}:1", KEL, wib(11, 2, 9))
    ]
    assert [(a.assignment_id, a.unit_id, a.clocks[0].deadline) for a in both] == [
        (f"{r}:1", KEL, wib(11, 8, 9))
    ]
    assert both[0].category == "Jalan Rusak" and both[0].tracking_code == "JKT-00000001"


def test_routing_to_coordination_is_an_uncharged_pool_stay() -> None:
    r = uuid.UUID(int=2)
    stays = assignments(
        [
            routed(r, wib(11, 2, 9), unit=None),
            change(r, 1, S.RECEIVED, S.COORDINATION, wib(11, 2, 9), unit="crm-admin"),
            change(r, 2, S.COORDINATION, S.WAITING, wib(11, 3, 9)),
        ],
        POLICY,
    )
    assert [(a.assignment_id, a.charged) for a in stays] == [(f"{r}:1", False), (f"{r}:2", True)]
    assert due_signals(stays, wib(12, 31))[-1].deadline == wib(11, 9, 9)


# --- the ledger ---------------------------------------------------------------------------------


def test_head_replaced_mid_month_each_charged_for_the_deadlines_in_their_term() -> None:
    events = [
        *ignored(1, wib(11, 3, 8)),  # deadline 9 Nov: the old Lurah
        *ignored(2, wib(11, 9, 8)),  # deadline 15 Nov 08:00: still the old Lurah
        *ignored(3, wib(11, 10, 8)),  # deadline 16 Nov 08:00: the new Lurah
        *ignored(4, wib(11, 27, 8)),  # deadline 3 Dec: not November's
    ]
    november = Month.parse("2026-11")
    found = month_breaches(
        assignments(events, POLICY), november, wib(12, 31), heads_of_bangka, JAKARTA
    )
    lines = ledger(found, TABLE)
    assert [(line.official_id, len(line.breaches), line.cut_percent) for line in lines] == [
        ("nip:new", 1, 10),
        ("nip:old", 2, 10),
    ]
    assert [b.deadline for b in lines[1].breaches] == [wib(11, 9, 8), wib(11, 15, 8)]


def test_month_bounds_are_jakarta_time() -> None:
    # Deadline 1 Dec 06:00 WIB = 30 Nov 23:00 UTC: December's in Jakarta.
    events = ignored(1, wib(11, 25, 6))
    stays = assignments(events, POLICY)
    nov = month_breaches(stays, Month(2026, 11), wib(12, 31), heads_of_bangka, JAKARTA)
    dec = month_breaches(stays, Month(2026, 12), wib(12, 31), heads_of_bangka, JAKARTA)
    assert nov == [] and [b.deadline for b in dec] == [wib(12, 1, 6)]


def test_breaches_due_after_as_of_are_not_yet_in_the_ledger() -> None:
    stays = assignments(ignored(1, wib(11, 3, 8)), POLICY)
    before = month_breaches(stays, Month(2026, 11), wib(11, 9, 7, 59), heads_of_bangka, JAKARTA)
    at = month_breaches(stays, Month(2026, 11), wib(11, 9, 8), heads_of_bangka, JAKARTA)
    assert before == [] and len(at) == 1


def test_pending_verification_at_the_deadline_is_charged_only_once_sent_back() -> None:
    r = uuid.UUID(int=5)
    pending = [
        change(r, 1, S.RECEIVED, S.WAITING, wib(11, 2, 9)),
        change(r, 2, S.WAITING, S.VERIFICATION, wib(11, 7, 9)),
    ]
    sent_back = [*pending, change(r, 3, S.VERIFICATION, S.IN_PROGRESS, wib(11, 12, 9))]
    month, as_of = Month(2026, 11), wib(12, 31)
    assert (
        month_breaches(assignments(pending, POLICY), month, as_of, heads_of_bangka, JAKARTA) == []
    )
    (b,) = month_breaches(assignments(sent_back, POLICY), month, as_of, heads_of_bangka, JAKARTA)
    assert b.deadline == wib(11, 8, 9) and b.official_id == "nip:old"


@pytest.mark.parametrize(
    ("count", "cut"), [(0, 0.0), (1, 10.0), (2, 10.0), (3, 15.0), (9, 15.0), (10, 25.0)]
)
def test_the_cut_is_the_highest_row_reached(count: int, cut: float) -> None:
    table = (
        PenaltyStep(min_breaches=1, cut_percent=10),
        PenaltyStep(min_breaches=10, cut_percent=25),
        PenaltyStep(min_breaches=3, cut_percent=15),
    )
    assert cut_percent(count, table) == cut


def test_csv_and_json_agree_and_are_stable() -> None:
    events = [*ignored(2, wib(11, 9, 8)), *ignored(1, wib(11, 3, 8)), *ignored(3, wib(11, 10, 8))]
    month = Month(2026, 11)

    def render() -> str:
        found = month_breaches(
            assignments(events, POLICY), month, wib(12, 31), heads_of_bangka, JAKARTA
        )
        return ledger_csv(month, ledger(found, TABLE), JAKARTA)

    assert render() == render()
    rows = render().splitlines()
    assert len(rows) == 4 and rows[1].startswith("2026-11,nip:new,Lurah Bangka (baru),1,10,")
    found = month_breaches(
        assignments(events, POLICY), month, wib(12, 31), heads_of_bangka, JAKARTA
    )
    body = ledger_json(month, ledger(found, TABLE), TABLE, JAKARTA)
    assert [o["breach_count"] for o in body["officials"]] == [1, 2]
    assert body["officials"][1]["units"] == [KEL]


def test_month_parsing() -> None:
    assert str(Month.parse("2026-02")) == "2026-02"
    assert Month(2026, 12).end(JAKARTA) == datetime(2027, 1, 1, tzinfo=JAKARTA)
    for bad in ("2026-13", "2026-1", "26-01", "", "2026-00"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            Month.parse(bad)


# --- the clock index and the city's policy -------------------------------------------------------


def test_clock_rows_index_charged_clocks_with_their_deadline_month_and_outcome() -> None:
    r = uuid.UUID(int=7)
    stays = assignments(
        [
            change(r, 1, S.RECEIVED, S.WAITING, wib(11, 26, 9)),
            change(r, 2, S.WAITING, S.SCHEDULED, wib(11, 27, 9)),
        ],
        POLICY,
    )
    rows = clock_rows(stays, JAKARTA)
    assert [(r.kind, r.deadline_month, r.outcome) for r in rows] == [
        ("response", "2026-12", "on_time")
    ]


@pytest.mark.parametrize(
    ("hours", "bucket"), [(0, "0-1d"), (23.9, "0-1d"), (24, "1-3d"), (100, "4-5d"), (144, "6d+")]
)
def test_age_buckets(hours: float, bucket: str) -> None:
    assert age_bucket(wib(11, 1), wib(11, 1) + timedelta(hours=hours)) == bucket


def test_jakarta_configuration_gives_the_default_policy_and_table() -> None:
    jakarta = load_city(JAKARTA_CONFIG)
    policy, head_of = city_policy(jakarta)
    assert policy.calendar.mode is Mode.CALENDAR and policy.default.days == 6
    assert policy.default.warning_days == (4, 5)
    assert jakarta.city.sla.penalty == TABLE
    assert head_of(KEL, wib(11, 15, 23)).name == "Lurah Bangka"
    assert head_of(KEL, wib(11, 16)).official_id == "nip:198506062010012003"


def test_policy_from_config_per_category_and_days_off() -> None:
    config = SlaConfig.model_validate(
        {
            "mode": "working",
            "days": 5,
            "warning_days": [3],
            "extra_days_off": ["2026-11-23"],
            "categories": {"Kebakaran": {"days": 1, "warning_days": []}},
        }
    )
    policy = policy_from_config(config, JAKARTA)
    # Monday 23 Nov is the city's day off: from Friday, Tue-Fri and Monday 30th are 5 days.
    assert policy.deadline(wib(11, 20, 10), "Jalan") == wib(11, 30, 10)
    assert policy.deadline(wib(11, 20, 10), "Kebakaran") == wib(11, 24, 10)
    assert policy.warning_points(wib(11, 20, 10), "Kebakaran") == ()
