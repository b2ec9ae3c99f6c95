"""A consumer that stalls is restarted by its own service, on the real broker, and what it had
not committed is handled by its replacement (aduan_shared.consumer_watch)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from aduan_devstack.kafka import ensure_topics_async
from aduan_shared.consumer_lag import ConsumerLag, Reading
from aduan_shared.consuming import Subscriptions
from aduan_shared.events import Event, dlq_topic
from aduan_shared.kafka import EventPublisher, create_broker
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.settings import KafkaSettings

STALL_S = 2.0


@dataclass
class Probe:
    """A service of one subscription on a topic of its own, with its consumer watch."""

    event: type[Event]
    group: str
    publisher: EventPublisher
    lag: ConsumerLag
    metrics: ServiceMetrics
    broker: Any
    seen: list[uuid.UUID]
    last: Reading | None = None

    async def publish(self) -> uuid.UUID:
        e = self.event.model_validate(
            {
                "event_id": uuid.uuid4(),
                "occurred_at": datetime.now(UTC),
                "report_id": uuid.uuid4(),
                "correlation_id": "watch",
            }
        )
        await self.publisher.publish(e)
        return e.event_id

    def restarts(self, stall: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "aduan_watch_probe_consumer_restarts_total", {"group": self.group, "stall": stall}
        )
        return value or 0.0

    async def watch_until(self, done: Callable[[], bool], within_s: float) -> None:
        """Measure (and so watch) twice a second until `done()`; fail at `within_s`."""
        deadline = time.monotonic() + within_s
        while not done():
            assert time.monotonic() < deadline, f"not done within {within_s} s"
            self.last = await self.lag.refresh()
            await asyncio.sleep(0.5)

    @property
    def committed_all(self) -> bool:
        """The last measurement found the group's partition fully committed."""
        return self.last is not None and set(self.last.lags.values()) == {0}


@asynccontextmanager
async def probe(
    bootstrap: str, handle: Callable[[Event, list[uuid.UUID]], Awaitable[None]]
) -> AsyncIterator[Probe]:
    name = f"watch-{uuid.uuid4().hex[:8]}"
    topic = f"test.{name}"

    class ProbeEvent(Event):
        TOPIC: ClassVar[str] = topic
        event_type: Literal["test.watch-probe"] = "test.watch-probe"

    await ensure_topics_async(bootstrap, [topic, dlq_topic(topic)], partitions=1)
    settings = KafkaSettings.model_validate({"KAFKA_BOOTSTRAP_SERVERS": bootstrap})
    metrics = ServiceMetrics("watch-probe")
    broker = create_broker(settings, "watch-probe", metrics)
    seen: list[uuid.UUID] = []
    subscriptions = Subscriptions(name)

    @subscriptions.on(ProbeEvent)
    async def on_probe(event: ProbeEvent) -> None:
        seen.append(event.event_id)
        await handle(event, seen)

    broker.include_router(subscriptions.router())
    publisher = EventPublisher(broker, [ProbeEvent], metrics)
    await broker.start()
    lag = ConsumerLag(broker, settings, metrics, interval_s=3600, stall_after_s=STALL_S)
    await lag.start()
    try:
        yield Probe(ProbeEvent, f"aduan-{name}", publisher, lag, metrics, broker, seen)
    finally:
        await lag.stop()
        await broker.stop()


def consumer_of(p: Probe) -> Any:
    (subscriber,) = p.broker.subscribers
    return subscriber.consumer


async def test_a_consumer_stuck_in_its_batch_is_restarted_and_the_event_handled_again(
    servers: Any,
) -> None:
    """The first delivery's handler waits for ever: the partition has a message waiting and no
    batch starts, so after KAFKA_CONSUMER_STALL_S the consumer is replaced and the uncommitted
    event comes again."""

    async def first_never_returns(event: Event, seen: list[uuid.UUID]) -> None:
        if len(seen) == 1:
            await asyncio.Event().wait()

    async with probe(servers.kafka_bootstrap, first_never_returns) as p:
        stuck = await p.publish()
        await p.watch_until(lambda: len(p.seen) >= 1, within_s=60)
        before = consumer_of(p)
        await p.watch_until(lambda: len(p.seen) >= 2, within_s=60)
        assert p.seen[:2] == [stuck, stuck]  # handled again by the replacement
        assert p.restarts("not_consuming") == 1
        assert p.restarts("not_a_member") == 0
        assert consumer_of(p) is not before
        # the stuck batch was cancelled first, so the old consumer closed and left its group
        # (had it stayed, still heartbeating, its replacement would wait for the rebalance)
        assert before._closed
        after = await p.publish()  # and it goes on consuming
        await p.watch_until(lambda: after in p.seen, within_s=60)
        assert p.restarts("not_consuming") == 1


async def test_a_consumer_that_left_its_group_for_good_is_restarted(servers: Any) -> None:
    """The consumer's group coordination stops (its heartbeat and rebalance routines end, as
    happened once after a broker restart): the broker drops it from the group after the session
    timeout, the watch sees it outside its group for KAFKA_CONSUMER_STALL_S and replaces it,
    and the replacement consumes."""

    async def nothing(event: Event, seen: list[uuid.UUID]) -> None:
        return None

    async with probe(servers.kafka_bootstrap, nothing) as p:
        first = await p.publish()
        await p.watch_until(lambda: first in p.seen, within_s=60)
        await p.watch_until(lambda: p.committed_all, within_s=60)
        broken = consumer_of(p)
        coordinator = broken._coordinator
        for task in (coordinator._coordination_task, coordinator._heartbeat_task):
            if task is not None:
                task.cancel()
        # the session timeout (10 s) passes, then the stall span
        await p.watch_until(lambda: p.restarts("not_a_member") >= 1, within_s=60)
        assert consumer_of(p) is not broken
        after = await p.publish()
        await p.watch_until(lambda: after in p.seen, within_s=60)
        assert p.restarts("not_a_member") == 1
        assert p.restarts("not_consuming") == 0
