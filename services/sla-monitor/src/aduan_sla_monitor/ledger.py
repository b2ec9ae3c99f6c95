"""The tunjangan penalty ledger (DOMAIN.md "Deadlines (SLA) and the tunjangan penalty").

Pure: from assignments (so from the recorded events alone), the city's heads and its policy table,
the breaches whose deadline falls in a month and, per official heading the unit at each deadline,
the cut. The same events give the same rows in the same order, and :func:`ledger_csv` renders
them byte for byte the same — the replay command (:mod:`aduan_sla_monitor.replay`) relies on it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from aduan_shared.cityconfig import Head, PenaltyStep

from aduan_sla_monitor.clock import Assignment, breaches

#: The official heading a unit at an instant (`CityConfig.head_of`).
HeadOf = Callable[[str, datetime], Head]

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Month:
    """A calendar month in the city's timezone, `YYYY-MM`."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH.match(text)
        if m is None:
            raise ValueError(f"month must be YYYY-MM, got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, at: datetime, tz: tzinfo) -> Month:
        local = at.astimezone(tz)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def start(self, tz: tzinfo) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=tz)

    def end(self, tz: tzinfo) -> datetime:
        """The first instant of the next month."""
        y, m = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(y, m, 1, tzinfo=tz)

    def contains(self, at: datetime, tz: tzinfo) -> bool:
        return self.start(tz) <= at < self.end(tz)


@dataclass(frozen=True)
class Breach:
    """One breach charged to a unit and to the official heading it at the deadline."""

    report_id: str
    tracking_code: str | None
    assignment_id: str
    unit_id: str
    kind: str
    deadline: datetime
    official_id: str
    official_name: str

    def as_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "tracking_code": self.tracking_code,
            "assignment_id": self.assignment_id,
            "unit_id": self.unit_id,
            "kind": self.kind,
            "deadline": self.deadline.astimezone(tz).isoformat(),
            "official_id": self.official_id,
            "official_name": self.official_name,
        }


@dataclass(frozen=True)
class OfficialLine:
    official_id: str
    official_name: str
    breaches: tuple[Breach, ...]
    cut_percent: float


def month_breaches(
    stays: Iterable[Assignment], month: Month, as_of: datetime, head_of: HeadOf, tz: tzinfo
) -> list[Breach]:
    """Breaches due by `as_of` whose deadline is in `month`, ordered by deadline, report, kind.

    A clock pending verification at its deadline is not (yet) a breach: it becomes one only if
    the verifier sends the report back (DOMAIN.md), which can change a closed month's ledger.
    """
    out = []
    for s in breaches(stays, as_of):
        if not month.contains(s.deadline, tz):
            continue
        head = head_of(s.unit_id, s.deadline)
        out.append(
            Breach(
                report_id=s.report_id,
                tracking_code=s.tracking_code,
                assignment_id=s.assignment_id,
                unit_id=s.unit_id,
                kind=s.kind,
                deadline=s.deadline,
                official_id=head.official_id,
                official_name=head.name,
            )
        )
    return sorted(out, key=lambda b: (b.deadline, b.report_id, b.assignment_id, b.kind))


def cut_percent(breach_count: int, table: Sequence[PenaltyStep]) -> float:
    """The cut of the highest row of the policy table the count reaches (0 below every row)."""
    met = [step.cut_percent for step in table if breach_count >= step.min_breaches]
    return max(met, default=0.0)


def ledger(breaches: Iterable[Breach], table: Sequence[PenaltyStep]) -> list[OfficialLine]:
    """Per official with at least one breach: the breaches and the cut, ordered by official id."""
    by_official: dict[str, list[Breach]] = {}
    for b in breaches:
        by_official.setdefault(b.official_id, []).append(b)
    return [
        OfficialLine(oid, lines[0].official_name, tuple(lines), cut_percent(len(lines), table))
        for oid, lines in sorted(by_official.items())
    ]


def _percent(value: float) -> str:
    return f"{value:g}"


BREACH_COLUMNS = (
    "deadline",
    "unit_id",
    "official_id",
    "official_name",
    "kind",
    "report_id",
    "tracking_code",
    "assignment_id",
)
LEDGER_COLUMNS = (
    "month",
    "official_id",
    "official_name",
    "breaches_in_month",
    "cut_percent",
    "deadline",
    "unit_id",
    "kind",
    "report_id",
    "tracking_code",
)


def _csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def breaches_csv(breaches: Iterable[Breach], tz: tzinfo) -> str:
    return _csv(BREACH_COLUMNS, (b.as_dict(tz) for b in breaches))


def ledger_csv(month: Month, lines: Iterable[OfficialLine], tz: tzinfo) -> str:
    """One row per breach, with its official's month total and cut (officials by id)."""
    rows = (
        {
            **b.as_dict(tz),
            "month": str(month),
            "official_name": line.official_name,
            "breaches_in_month": len(line.breaches),
            "cut_percent": _percent(line.cut_percent),
        }
        for line in lines
        for b in line.breaches
    )
    return _csv(LEDGER_COLUMNS, rows)


def ledger_json(
    month: Month, lines: Iterable[OfficialLine], table: Sequence[PenaltyStep], tz: tzinfo
) -> dict[str, Any]:
    return {
        "month": str(month),
        "policy": [{"min_breaches": s.min_breaches, "cut_percent": s.cut_percent} for s in table],
        "officials": [
            {
                "official_id": line.official_id,
                "official_name": line.official_name,
                "units": sorted({b.unit_id for b in line.breaches}),
                "breach_count": len(line.breaches),
                "cut_percent": line.cut_percent,
                "breaches": [b.as_dict(tz) for b in line.breaches],
            }
            for line in lines
        ],
    }
