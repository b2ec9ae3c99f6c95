"""The scan: due warnings and breaches → claimed once in the database → published.

Each scan reads the reports with a warning or deadline due (each report stores from when it is:
its `due_from`), recomputes their assignments from the stored events (pure :mod:`clock`), and for
each due signal inserts a row keyed by the signal's stable key; it then moves the report's
`due_from` to its next point, or takes it out of the scan when no clock can signal any more. A
scan thus reads what fell due, not every open report. Only the scan that inserted a row
publishes it (a duplicate key means it is someone else's, or already sent), so a signal is sent
once across restarts and replicas. The event id is derived from the key and every field from the
recorded events, so a republish after a crash (row claimed, ack not recorded) is the very same
event. Unpublished rows are retried by later scans, under a lease so two replicas do not publish
one row together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aduan_shared.events import Event, SlaBreached, SlaWarning, derive_id
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics

from aduan_sla_monitor.adapters.store import ReportStore, SignalRow, SignalStore
from aduan_sla_monitor.calendars import SlaPolicy
from aduan_sla_monitor.clock import Signal, assignments, due_signals, next_point
from aduan_sla_monitor.ledger import HeadOf
from aduan_sla_monitor.views import needs_scan

log = get_logger(__name__)

Now = Callable[[], datetime]
#: However close the next deadline, scans are at least this far apart.
MIN_SCAN_GAP_S = 1.0


class Publisher(Protocol):
    async def publish(self, event: Event) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def signal_event(s: Signal, head_of: HeadOf) -> SlaWarning | SlaBreached:
    """The event of a signal: a pure function of the signal (so of the report's events).

    The official is the head of the unit when the signal fell due (for a breach: at the
    deadline). The correlation id is that of the event that opened the assignment.
    """
    head = head_of(s.unit_id, s.at)
    common = {
        "event_id": derive_id("sla-signal", s.key),
        "occurred_at": s.at,
        "report_id": s.report_id,
        "correlation_id": s.correlation_id or f"sla:{s.key}",
        "assignment_id": s.assignment_id,
        "unit_id": s.unit_id,
        "official_id": head.official_id,
        "official_name": head.name,
        "tracking_code": s.tracking_code,
        "kind": s.kind,
        "deadline": s.deadline,
        "days_elapsed": round(s.days_elapsed, 6),
    }
    if s.type == "breach":
        return SlaBreached.model_validate(common)
    return SlaWarning.model_validate({**common, "warning_at_days": s.warning_days})


def row_event(row: SignalRow) -> SlaWarning | SlaBreached:
    model = SlaBreached if row.type == "breach" else SlaWarning
    return model.model_validate(row.event)


@dataclass
class ScanResult:
    reports: int = 0
    claimed: int = 0
    published: int = 0
    failed: int = 0
    #: When the next warning or deadline of the scanned clocks falls (None: none is running).
    next_due: datetime | None = None
    next_in_s: float | None = None

    def saw(self, at: datetime | None, now: datetime) -> None:
        if at is not None and (self.next_due is None or at < self.next_due):
            self.next_due = at
            self.next_in_s = max((at - now).total_seconds(), MIN_SCAN_GAP_S)


class Scanner:
    def __init__(
        self,
        reports: ReportStore,
        signals: SignalStore,
        publisher: Publisher,
        policy: SlaPolicy,
        head_of: HeadOf,
        metrics: ServiceMetrics | None = None,
        now: Now = utc_now,
        lease_s: float = 60.0,
    ) -> None:
        self._reports = reports
        self._signals = signals
        self._publisher = publisher
        self._policy = policy
        self._head_of = head_of
        self._now = now
        self._lease = timedelta(seconds=lease_s)
        self._sent = (
            metrics.counter(
                "signals_sent_total", "SLA warnings and breaches sent", ("type", "kind")
            )
            if metrics
            else None
        )

    async def scan(self) -> ScanResult:
        """One pass: retry unpublished rows, then claim and publish what fell due. The result
        says when the next point falls, so the loop can wake for it (exact deadlines)."""
        now = self._now()
        result = ScanResult()
        await self._retry(now, result)
        async for report in self._reports.to_scan(now):
            result.reports += 1
            stays = assignments(report.events, self._policy)
            for s in due_signals(stays, now):
                event = signal_event(s, self._head_of)
                row = SignalRow(
                    key=s.key,
                    type=s.type,
                    report_id=s.report_id,
                    event=event.model_dump(mode="json"),
                    lease_until=now + self._lease,
                )
                if await self._signals.claim(row):
                    result.claimed += 1
                    if not await self._publish(row.key, event, now, result):
                        await self._signals.release(row.key, now)
            if not needs_scan(stays):
                await self._reports.close(report.report_id, report.rev)
            else:
                await self._reports.reschedule(report.report_id, report.rev, next_point(stays, now))
        result.saw(await self._reports.next_due(), now)
        return result

    async def _retry(self, now: datetime, result: ScanResult) -> None:
        while (row := await self._signals.take_unpublished(now, now + self._lease)) is not None:
            if not await self._publish(row.key, row_event(row), now, result):
                await self._signals.release(row.key, now)
                return  # the broker is away: the next scan tries again

    async def _publish(
        self, key: str, event: SlaWarning | SlaBreached, now: datetime, result: ScanResult
    ) -> bool:
        try:
            await self._publisher.publish(event)
        except Exception as exc:  # broker away or slow: the row stays unpublished
            result.failed += 1
            log.warning("sla_signal_publish_failed", key=key, error=repr(exc))
            return False
        await self._signals.mark_published(key)
        result.published += 1
        if self._sent is not None:
            self._sent.labels(event.event_type.rsplit(".", 1)[1], event.kind).inc()
        log.info("sla_signal_sent", key=key, event_type=event.event_type, unit_id=event.unit_id)
        return True
