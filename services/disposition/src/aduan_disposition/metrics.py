"""Disposition's own metrics: transitions, time in each state, cases by state and unit kind.

`aduan_disposition_cases{state, unit_kind}` is recounted from the database (one `$group`) every
`cases_gauge_interval_s` rather than kept incrementally: it stays right across replicas,
restarts and redeliveries, at the cost of one aggregate per replica and interval. Every replica
reports the same totals, so dashboards take `max by (state, unit_kind)`, never `sum`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from aduan_shared.background import Periodic
from aduan_shared.cityconfig import Unit
from aduan_shared.metrics import ServiceMetrics

from aduan_disposition.commands import Action, Transition
from aduan_disposition.domain import ADMIN_POOL

#: Minutes to a month: a state lasts from seconds (accept) to weeks (scheduled).
STATE_BUCKETS = (
    60.0,
    300.0,
    900.0,
    3600.0,
    4 * 3600.0,
    12 * 3600.0,
    86400.0,
    2 * 86400.0,
    4 * 86400.0,
    6 * 86400.0,
    8 * 86400.0,
    14 * 86400.0,
    30 * 86400.0,
)

Counts = Callable[[], Awaitable[list[tuple[str, str, int]]]]


class DispositionMetrics:
    def __init__(self, metrics: ServiceMetrics) -> None:
        self.transitions = metrics.counter(
            "transitions_total", "Case transitions made", ("action", "to_state")
        )
        self.time_in_state = metrics.histogram(
            "time_in_state_seconds",
            "How long a case stayed in a state, observed when it leaves it",
            ("state",),
            buckets=STATE_BUCKETS,
        )
        self.evidence_flags = metrics.counter(
            "evidence_flags_total", "Integrity flags raised on completion evidence", ("flag",)
        )
        self.ratings = metrics.counter(
            "ratings_total", "Citizens' ratings of done reports", ("stars",)
        )
        self.cases = metrics.gauge(
            "cases", "Cases by state and unit kind (recounted periodically)", ("state", "unit_kind")
        )
        self.streams = metrics.gauge("tracking_streams", "Open tracking streams (SSE)")

    def transition(self, t: Transition, entered_at: datetime) -> None:
        """Count `t` and observe how long the case was in the state it left."""
        self.transitions.labels(t.action.value, t.to_state.value).inc()
        self.time_in_state.labels(t.from_state.value).observe(
            max(0.0, (t.at - entered_at).total_seconds())
        )
        for flag in t.flags if t.action is Action.COMPLETE else ():
            self.evidence_flags.labels(flag.value).inc()


def unit_kind(units: Mapping[str, Unit], unit_id: str) -> str:
    unit = units.get(unit_id)
    if unit is not None:
        return unit.kind
    if unit_id == ADMIN_POOL:
        return "admin_pool"
    return unit_id.split(":", 1)[0] if ":" in unit_id else "unknown"


class CasesGauge:
    """Recounts `aduan_disposition_cases` from the store every `interval_s`."""

    def __init__(
        self,
        counts: Counts,
        units: Mapping[str, Unit],
        metrics: DispositionMetrics,
        interval_s: float,
    ) -> None:
        self._counts = counts
        self._units = units
        self._gauge = metrics.cases
        self._seen: set[tuple[str, str]] = set()
        self._loop = Periodic("cases-gauge", self.refresh, interval_s)

    async def refresh(self) -> dict[tuple[str, str], int]:
        totals: dict[tuple[str, str], int] = {}
        for state, unit_id, n in await self._counts():
            key = (state, unit_kind(self._units, unit_id))
            totals[key] = totals.get(key, 0) + n
        for key in self._seen - totals.keys():  # a combination that emptied goes to 0
            self._gauge.labels(*key).set(0)
        for key, n in totals.items():
            self._gauge.labels(*key).set(n)
        self._seen |= totals.keys()
        return totals

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
