"""Deadline calendars: when a unit's response is due (DOMAIN.md "Deadlines (SLA)").

Pure functions over aware datetimes; nothing here reads the clock or does I/O.

Two modes, chosen per city:

- ``calendar`` (default): deadline = arrival + N × 24 h (N = 6 by default).
- ``working``: deadline = N working days after arrival, keeping the local time of day. A working
  day is Monday–Friday that is neither an Indonesian national holiday, nor a *cuti bersama*
  (joint leave) day, nor in the city's own list of extra days off. An arrival on a non-working
  day starts counting at the next working day 00:00.

All local arithmetic happens in the policy's timezone (Asia/Jakarta by default).

National holidays and cuti bersama come from the ``holidays`` package:
``holidays.country_holidays("ID", years=..., categories=(PUBLIC, GOVERNMENT))``. The ``public``
category holds the national holidays (*hari libur nasional*); the ``government`` category holds
the cuti bersama decreed each year by the SKB 3 Menteri (e.g. 2025-04-02..04 and 04-07 around
Lebaran). The city's ``extra_days_off`` list covers anything else (regional days off, a cuti
bersama decreed after the installed package version was released).

Warning points (default 4 and 5 days) are computed the same way as the deadline: arrival +
k × 24 h in calendar mode, k working days in working mode.

Days and warning points are configurable per city (:class:`SlaPolicy`) and per category
(``SlaPolicy.per_category`` overrides of :class:`DeadlineRule`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from aduan_shared.cityconfig import SlaConfig

JAKARTA = ZoneInfo("Asia/Jakarta")
END_OF_DAY = time(23, 59, 59)


class Mode(StrEnum):
    """How days are counted."""

    CALENDAR = "calendar"
    WORKING = "working"


@lru_cache(maxsize=64)
def national_days_off(year: int, country: str = "ID") -> frozenset[date]:
    """National holidays and cuti bersama of `year` (``public`` + ``government`` categories)."""
    days = holidays.country_holidays(
        country, years=year, categories=(holidays.PUBLIC, holidays.GOVERNMENT)
    )
    return frozenset(days.keys())


def end_of_day(day: date, tz: tzinfo = JAKARTA) -> datetime:
    """23:59:59 local time of `day`: the deadline of a scheduled estimate."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


@dataclass(frozen=True)
class Calendar:
    """A city's day-counting policy: mode, timezone and extra days off."""

    mode: Mode = Mode.CALENDAR
    tz: tzinfo = JAKARTA
    extra_days_off: frozenset[date] = frozenset()
    country: str = "ID"

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday, not a national holiday or cuti bersama, not a city day off."""
        return (
            day.weekday() < 5
            and day not in self.extra_days_off
            and day not in national_days_off(day.year, self.country)
        )

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_days(self, start: datetime, days: int) -> datetime:
        """`days` days after `start`, counted in this calendar's mode."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if self.mode is Mode.CALENDAR:
            return start + timedelta(days=days)
        return self._add_working_days(start.astimezone(self.tz), days)

    def _add_working_days(self, local: datetime, days: int) -> datetime:
        day, at = local.date(), local.timetz().replace(tzinfo=None)
        if not self.is_working_day(day):
            day, at = self.next_working_day(day), time(0)
            if days == 0:
                return datetime.combine(day, at, tzinfo=self.tz)
        for _ in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, at, tzinfo=self.tz)


@dataclass(frozen=True)
class DeadlineRule:
    """Days to respond and the warning points (days after arrival) before the deadline."""

    days: int = 6
    warning_days: tuple[int, ...] = (4, 5)


@dataclass(frozen=True)
class WarningPoint:
    """A warning due `days` days after arrival, at `at`."""

    days: int
    at: datetime


@dataclass(frozen=True)
class SlaPolicy:
    """A city's SLA policy: its calendar, a default rule and per-category overrides."""

    calendar: Calendar = field(default_factory=Calendar)
    default: DeadlineRule = field(default_factory=DeadlineRule)
    per_category: Mapping[str, DeadlineRule] = field(default_factory=dict)

    @property
    def tz(self) -> tzinfo:
        return self.calendar.tz

    def rule_for(self, category: str | None) -> DeadlineRule:
        """The category's override, else the city's default."""
        if category is None:
            return self.default
        return self.per_category.get(category, self.default)

    def deadline(self, arrival: datetime, category: str | None = None) -> datetime:
        """The response deadline of a report arriving at a unit at `arrival`."""
        return self.calendar.add_days(arrival, self.rule_for(category).days)

    def warning_points(
        self, arrival: datetime, category: str | None = None
    ) -> tuple[WarningPoint, ...]:
        """The warning points of an arrival, in order (only those before the deadline)."""
        rule = self.rule_for(category)
        return tuple(
            WarningPoint(k, self.calendar.add_days(arrival, k))
            for k in sorted(set(rule.warning_days))
            if 0 < k < rule.days
        )


def policy_from_config(config: SlaConfig, tz: tzinfo = JAKARTA) -> SlaPolicy:
    """The SLA policy a city's `city.yaml` `sla:` section describes, in the city's timezone."""
    return SlaPolicy(
        calendar=Calendar(Mode(config.mode), tz, frozenset(config.extra_days_off)),
        default=DeadlineRule(config.days, config.warning_days),
        per_category={
            name: DeadlineRule(rule.days, rule.warning_days)
            for name, rule in config.categories.items()
        },
    )
