"""Deadline calendars: calendar vs working mode, holidays and cuti bersama, exact instants."""

from datetime import UTC, date, datetime, timedelta

import pytest
from aduan_sla_monitor.calendars import (
    JAKARTA,
    Calendar,
    DeadlineRule,
    Mode,
    SlaPolicy,
    WarningPoint,
    end_of_day,
    national_days_off,
)

CAL = Calendar(Mode.CALENDAR)
WORK = Calendar(Mode.WORKING)
HUT_JAKARTA_2026 = date(2026, 6, 22)  # a Monday; a city's own day off (example)
CITY = Calendar(Mode.WORKING, extra_days_off=frozenset({HUT_JAKARTA_2026}))


def wib(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=JAKARTA)


@pytest.mark.parametrize(
    ("name", "calendar", "arrival", "expected"),
    [
        ("weekday, calendar", CAL, wib(2026, 11, 17, 10), wib(2026, 11, 23, 10)),
        ("weekday, working", WORK, wib(2026, 11, 17, 10), wib(2026, 11, 25, 10)),
        ("saturday, calendar", CAL, wib(2026, 11, 21, 14, 30), wib(2026, 11, 27, 14, 30)),
        # Saturday → counting starts Monday 23 Nov 00:00; six working days later.
        ("saturday, working", WORK, wib(2026, 11, 21, 14, 30), wib(2026, 12, 1)),
        ("sunday, working", WORK, wib(2026, 11, 22, 23), wib(2026, 12, 1)),
        ("friday 23:59, calendar", CAL, wib(2026, 11, 20, 23, 59), wib(2026, 11, 26, 23, 59)),
        ("friday 23:59, working", WORK, wib(2026, 11, 20, 23, 59), wib(2026, 11, 30, 23, 59)),
        # Lebaran 2025: 28 Mar and 2-7 Apr cuti bersama, 31 Mar-1 Apr Idul Fitri.
        ("lebaran 2025, working", WORK, wib(2025, 3, 26, 10), wib(2025, 4, 14, 10)),
        ("lebaran 2025, calendar", CAL, wib(2025, 3, 26, 10), wib(2025, 4, 1, 10)),
        # Arrival on a cuti bersama day: starts at Tue 8 Apr 00:00.
        ("on cuti bersama 2025", WORK, wib(2025, 4, 3, 8), wib(2025, 4, 16)),
        # Lebaran 2026: 18 (cuti Nyepi), 19 (Nyepi), 20, 23, 24 Mar (cuti bersama).
        ("lebaran 2026, working", WORK, wib(2026, 3, 17, 9), wib(2026, 4, 1, 9)),
        ("city day off, working", CITY, wib(2026, 6, 19, 10), wib(2026, 6, 30, 10)),
        ("no city day off, working", WORK, wib(2026, 6, 19, 10), wib(2026, 6, 29, 10)),
    ],
)
def test_six_day_deadline(
    name: str, calendar: Calendar, arrival: datetime, expected: datetime
) -> None:
    deadline = SlaPolicy(calendar=calendar).deadline(arrival)
    assert deadline == expected, name
    assert deadline.utcoffset() == timedelta(hours=7)


def test_the_package_gives_lebaran_2025_and_2026_with_cuti_bersama() -> None:
    off_2025 = national_days_off(2025)
    lebaran_2025 = {date(2025, 3, 31), date(2025, 4, 1)}  # Idul Fitri 1446 H
    cuti_2025 = {date(2025, 3, 28), *(date(2025, 4, d) for d in (2, 3, 4, 7))}
    assert lebaran_2025 | cuti_2025 <= off_2025
    assert date(2025, 4, 8) not in off_2025
    off_2026 = national_days_off(2026)
    lebaran_2026 = {date(2026, 3, 19), date(2026, 3, 21), date(2026, 3, 22)}  # Nyepi, Idul Fitri
    cuti_2026 = {date(2026, 3, d) for d in (18, 20, 23, 24)}
    assert lebaran_2026 | cuti_2026 <= off_2026
    assert date(2026, 3, 25) not in off_2026


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 20), True),  # Friday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 8, 17), False),  # Independence Day
        (date(2025, 4, 7), False),  # cuti bersama Idul Fitri
        (date(2025, 4, 8), True),
        (HUT_JAKARTA_2026, True),
    ],
)
def test_working_days(day: date, working: bool) -> None:
    assert WORK.is_working_day(day) is working


def test_city_extra_days_off_are_not_working_days() -> None:
    assert not CITY.is_working_day(HUT_JAKARTA_2026)


@pytest.mark.parametrize(
    ("calendar", "arrival", "expected"),
    [
        (CAL, wib(2026, 11, 17, 10), (wib(2026, 11, 21, 10), wib(2026, 11, 22, 10))),
        (WORK, wib(2026, 11, 17, 10), (wib(2026, 11, 23, 10), wib(2026, 11, 24, 10))),
        (WORK, wib(2025, 3, 26, 10), (wib(2025, 4, 10, 10), wib(2025, 4, 11, 10))),
    ],
)
def test_warning_points_default_to_4_and_5_days(
    calendar: Calendar, arrival: datetime, expected: tuple[datetime, datetime]
) -> None:
    points = SlaPolicy(calendar=calendar).warning_points(arrival)
    assert points == (WarningPoint(4, expected[0]), WarningPoint(5, expected[1]))


def test_per_category_overrides_days_and_warnings() -> None:
    policy = SlaPolicy(
        default=DeadlineRule(days=5, warning_days=(3,)),
        per_category={"Kebakaran": DeadlineRule(days=1, warning_days=())},
    )
    arrival = wib(2026, 11, 17, 10)
    assert policy.deadline(arrival, "Kebakaran") == wib(2026, 11, 18, 10)
    assert policy.warning_points(arrival, "Kebakaran") == ()
    assert policy.deadline(arrival, "Jalan") == wib(2026, 11, 22, 10)
    assert policy.deadline(arrival) == wib(2026, 11, 22, 10)
    assert policy.warning_points(arrival) == (WarningPoint(3, wib(2026, 11, 20, 10)),)


def test_working_mode_counts_in_local_time_whatever_the_input_zone() -> None:
    arrival_utc = datetime(2026, 11, 20, 16, 59, tzinfo=UTC)  # Fri 23:59 WIB
    assert WORK.add_days(arrival_utc, 6) == wib(2026, 11, 30, 23, 59)


def test_zero_days_on_a_weekend_is_the_next_working_day_start() -> None:
    assert WORK.add_days(wib(2026, 11, 21, 9), 0) == wib(2026, 11, 23)


def test_naive_arrival_is_refused() -> None:
    with pytest.raises(ValueError):
        WORK.add_days(datetime(2026, 11, 20, 10), 6)


def test_end_of_day_is_235959_local() -> None:
    assert end_of_day(date(2026, 11, 25)) == wib(2026, 11, 25, 23, 59, 59)
    assert end_of_day(date(2026, 11, 25)).astimezone(UTC) == datetime(
        2026, 11, 25, 16, 59, 59, tzinfo=UTC
    )
