"""The SLA monitor's gauges, recounted from the `clocks` index.

- `aduan_sla_monitor_open_assignments{unit_kind, age}`: response clocks still running (the units'
  backlog), by days since arrival (`0-1d` … `5-6d`, `6d+` = past a 6-day deadline).
- `aduan_sla_monitor_on_time_ratio{unit_kind}`: of the response clocks whose deadline fell in the
  last `window_days`, the share stopped by their deadline (handled, handed over or rejected in
  time); one still running past its deadline counts as late, one pending verification not yet.

Recounted every interval rather than kept incrementally, so they stay right across replicas,
restarts and redelivery; every replica reports the same values (dashboards take `max`).
The warnings and breaches themselves are counted when sent (`signals_sent_total{type,kind}`).
"""

from __future__ import annotations

from datetime import timedelta

from aduan_shared.metrics import ServiceMetrics

from aduan_sla_monitor.adapters.store import ClockIndex
from aduan_sla_monitor.scanner import Now, utc_now
from aduan_sla_monitor.views import AGE_BUCKETS

UNIT_KINDS = ("kelurahan", "kecamatan", "kota", "dinas", "sudin")


class SlaGauges:
    def __init__(
        self, clocks: ClockIndex, metrics: ServiceMetrics, now: Now = utc_now, window_days: int = 30
    ) -> None:
        self._clocks = clocks
        self._now = now
        self._window = timedelta(days=window_days)
        self.open = metrics.gauge(
            "open_assignments",
            "Assignments whose response clock runs, by unit kind and days since arrival",
            ("unit_kind", "age"),
        )
        self.on_time = metrics.gauge(
            "on_time_ratio",
            f"Share of response deadlines of the last {window_days} days met, by unit kind",
            ("unit_kind",),
        )

    async def recount(self) -> None:
        now = self._now()
        backlog = await self._clocks.open_backlog(now)
        for kind in sorted({k for k, _ in backlog} | set(UNIT_KINDS)):
            for label, _ in AGE_BUCKETS:
                self.open.labels(kind, label).set(backlog.get((kind, label), 0))
        outcomes = await self._clocks.outcomes(now - self._window, now)
        for kind in sorted({k for k, _ in outcomes} | set(UNIT_KINDS)):
            met = outcomes.get((kind, "on_time"), 0)
            decided = met + outcomes.get((kind, "late"), 0) + outcomes.get((kind, "running"), 0)
            if decided:
                self.on_time.labels(kind).set(met / decided)
