"""The outbox relay: a case's unpublished events go to Kafka in order, each removed once acked.

Every change publishes right after its write (`flush`); whatever that could not publish (broker
down, process killed between write and publish) is published by the sweep, which runs at start
and every `interval_s`. An event may thus be published twice (same `event_id`, same `version`),
never lost and, per report, never ahead of an earlier one: consumers keep the highest version.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from aduan_shared.events import Event
from aduan_shared.kafka import Publisher, PublishFailed
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics

from aduan_disposition.adapters.cases import CaseStore

log = get_logger(__name__)


class Outbox:
    def __init__(
        self,
        cases: CaseStore,
        publisher: Publisher,
        metrics: ServiceMetrics,
        interval_s: float = 2.0,
        batch: int = 200,
    ) -> None:
        self._cases = cases
        self._publisher = publisher
        self._interval_s = interval_s
        self._batch = batch
        # Striped locks: one report's flushes never interleave (so its events stay in order).
        self._locks = [asyncio.Lock() for _ in range(64)]
        self._task: asyncio.Task[None] | None = None
        self._published = metrics.counter(
            "outbox_published_total", "Events published from the outbox", ("path",)
        )
        self._pending = metrics.gauge(
            "outbox_pending_cases", "Cases with unpublished events at the last sweep"
        )

    async def flush(
        self, report_id: str, *, path: str = "direct", written: Sequence[Event] | None = None
    ) -> bool:
        """Publish the case's pending events in order; False if the broker refused one.

        `written`: the events the caller has just written as the case's whole outbox (a case
        it inserted), published without reading the outbox back. Should a change have queued
        another event meanwhile, that one stays for its own flush or the sweep."""
        async with self._locks[hash(report_id) % len(self._locks)]:
            events = list(written) if written is not None else await self._cases.outbox(report_id)
            done: list[str] = []
            try:
                for event in events:
                    await self._publisher.publish(event)
                    done.append(str(event.event_id))
            except PublishFailed:
                log.warning("outbox_publish_deferred", report_id=report_id, sent=len(done))
                return False
            finally:
                if done:
                    await self._cases.published(report_id, done)
                    self._published.labels(path).inc(len(done))
            return True

    async def sweep(self) -> int:
        """Publish every case's pending events; returns how many cases still wait."""
        pending = await self._cases.with_pending_events(self._batch)
        waiting = 0
        for report_id in pending:
            if not await self.flush(report_id, path="sweep"):
                waiting += 1
        self._pending.set(waiting)
        return waiting

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:  # the database may be away for a while: keep sweeping
                log.warning("outbox_sweep_failed", error=type(exc).__name__, detail=str(exc))
            await asyncio.sleep(self._interval_s)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
