"""In-memory stores and publisher with the Mongo stores' semantics (for the scan's unit tests)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from aduan_shared.events import Event, ReportRouted
from aduan_sla_monitor.adapters.store import ReportEvents, SignalRow
from aduan_sla_monitor.clock import Recorded
from aduan_sla_monitor.views import ClockRow, age_bucket


def version(e: Recorded) -> int:
    return 0 if isinstance(e, ReportRouted) else e.version


class MemoryReports:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def with_event(self, event: Recorded) -> list[Recorded]:
        stored = self.docs.get(str(event.report_id), {"events": {}})["events"]
        return sorted({**stored, version(event): event}.values(), key=version)

    async def record(self, event: Recorded, *, due_from: datetime | None, scan: bool) -> None:
        doc = self.docs.setdefault(str(event.report_id), {"events": {}, "rev": 0})
        doc["events"][version(event)] = event
        doc["scan"], doc["due_from"] = scan, due_from
        doc["rev"] += 1

    async def events(self, report_id: str) -> list[Recorded] | None:
        doc = self.docs.get(report_id)
        return None if doc is None else sorted(doc["events"].values(), key=version)

    async def events_of(self, report_ids: list[str]) -> list[list[Recorded]]:
        return [
            sorted(self.docs[r]["events"].values(), key=version)
            for r in sorted(report_ids)
            if r in self.docs
        ]

    async def to_scan(self, now: datetime) -> AsyncIterator[ReportEvents]:
        for rid, doc in list(self.docs.items()):
            if doc.get("scan") and doc["due_from"] is not None and doc["due_from"] <= now:
                yield ReportEvents(rid, doc["rev"], sorted(doc["events"].values(), key=version))

    async def close(self, report_id: str, rev: int) -> None:
        doc = self.docs[report_id]
        if doc["rev"] == rev:
            doc["scan"] = False

    async def reschedule(self, report_id: str, rev: int, due_from: datetime | None) -> None:
        doc = self.docs[report_id]
        if doc["rev"] == rev:
            doc["due_from"] = due_from

    async def next_due(self) -> datetime | None:
        due = [d["due_from"] for d in self.docs.values() if d.get("scan") and d["due_from"]]
        return min(due, default=None)


class MemoryClocks:
    """The `clocks` index in memory, with the Mongo queries' meaning."""

    def __init__(self) -> None:
        self.rows: dict[str, ClockRow] = {}

    async def replace_report(self, report_id: str, rows: list[ClockRow]) -> None:
        for key in [k for k, r in self.rows.items() if r.report_id == report_id]:
            del self.rows[key]
        self.rows.update({r.key: r for r in rows})

    async def reports_due_in(self, month: str) -> list[str]:
        return sorted({r.report_id for r in self.rows.values() if r.deadline_month == month})

    async def open_backlog(self, now: datetime) -> dict[tuple[str, str], int]:
        return dict(
            Counter(
                (r.unit_kind, age_bucket(r.arrived_at, now))
                for r in self.rows.values()
                if r.kind == "response" and r.outcome == "running"
            )
        )

    async def outcomes(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for r in self.rows.values():
            if r.kind == "response" and since <= r.deadline <= until:
                out[(r.unit_kind, r.outcome)] = out.get((r.unit_kind, r.outcome), 0) + 1
        return out


class MemorySignals:
    def __init__(self) -> None:
        self.rows: dict[str, SignalRow] = {}

    async def claim(self, row: SignalRow) -> bool:
        if row.key in self.rows:
            return False
        self.rows[row.key] = row
        return True

    async def mark_published(self, key: str) -> None:
        self.rows[key] = replace(self.rows[key], published=True)

    async def release(self, key: str, at: datetime) -> None:
        if not self.rows[key].published:
            self.rows[key] = replace(self.rows[key], lease_until=at)

    async def take_unpublished(self, now: datetime, lease_until: datetime) -> SignalRow | None:
        due = [r for r in self.rows.values() if not r.published and r.lease_until <= now]
        if not due:
            return None
        row = replace(min(due, key=lambda r: r.lease_until), lease_until=lease_until)
        self.rows[row.key] = row
        return row

    async def for_report(self, report_id: str) -> list[SignalRow]:
        return sorted(
            (r for r in self.rows.values() if r.report_id == report_id), key=lambda r: r.key
        )


class MemoryPublisher:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[Event] = []
        self.failures = failures

    async def publish(self, event: Event) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise TimeoutError("broker away")
        self.sent.append(event)
