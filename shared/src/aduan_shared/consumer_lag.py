"""Consumer lag and dead-letter queue sizes as gauges, measured by each service for itself.

Every service with subscribers runs `ConsumerLag` (`build_app` adds it): every
`KAFKA_LAG_INTERVAL_S` it asks the broker for the committed offsets of its own consumer groups
(`subscriber_options`: `aduan-<service>`) and for the first and end offsets of the partitions it
consumes, and sets

- `aduan_<service>_consumer_lag{group, topic, partition}`: messages not yet committed by the
  group (a partition the group never committed counts from its first offset: the subscribers
  start at `earliest`);
- `aduan_<service>_dlq_messages{topic}`: messages in `<topic>.dlq` (end minus first offset over
  its partitions) for each topic the service consumes, the DLQs its own dead-letter middleware
  writes to. Several services consume `report.status-changed`, so several report its DLQ, all
  with the same value: dashboards take `max by (topic)`;
- `aduan_<service>_consumer_lag_checked_timestamp_seconds`: when the last measurement succeeded
  (a stale one means the numbers above are old).

Measured from the broker, not from the consumers' positions in memory: every replica of a
service reports the same numbers for its group (dashboards take `max`, never `sum`), and a
replica that stopped consuming still shows its group falling behind.

Each measurement also watches the process's own consumers (`aduan_shared.consumer_watch`): one
the broker no longer counts in its group, or one with messages waiting on its partitions that
started no batch, for `KAFKA_CONSUMER_STALL_S`, is restarted, logged as
`consumer_stalled_restarting` and counted in `aduan_<service>_consumer_restarts_total{group,
stall}`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from aduan_shared.background import Periodic
from aduan_shared.consumer_watch import ConsumerView, Stall, StallWatch
from aduan_shared.consuming import batches_started
from aduan_shared.events import dlq_topic
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.settings import KafkaSettings

log = get_logger(__name__)

#: How long stopping a stalled consumer, or starting its replacement, may take.
RESTART_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Subscription:
    """One consumer group and the topics it reads."""

    group: str
    topics: tuple[str, ...]


def subscriptions(subscribers: Iterable[Any]) -> list[Subscription]:
    """The groups and topics of a broker's subscribers (`broker.subscribers`); subscribers
    without a group (nothing committed, so no lag) are left out."""
    topics: dict[str, set[str]] = {}
    for sub in subscribers:
        group = getattr(sub, "group_id", None)
        if not group:
            continue
        names = [getattr(t, "name", t) for t in getattr(sub, "topics", ()) or ()]
        topics.setdefault(str(group), set()).update(str(n) for n in names)
    return [Subscription(g, tuple(sorted(ts))) for g, ts in sorted(topics.items()) if ts]


def partition_lags(
    first: Mapping[TopicPartition, int],
    end: Mapping[TopicPartition, int],
    committed: Mapping[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """Messages behind per partition of `end`: end minus the committed offset, or minus the first
    offset when the group has none (or one the retention already deleted); never negative."""
    lags: dict[TopicPartition, int] = {}
    for tp, last in end.items():
        start = first.get(tp, 0)
        done = committed.get(tp, -1)
        lags[tp] = max(0, last - max(done, start))
    return lags


def topic_sizes(
    first: Mapping[TopicPartition, int], end: Mapping[TopicPartition, int]
) -> dict[str, int]:
    """Messages held per topic: end minus first offset, summed over its partitions."""
    sizes: dict[str, int] = {}
    for tp, last in end.items():
        sizes[tp.topic] = sizes.get(tp.topic, 0) + max(0, last - first.get(tp, 0))
    return sizes


def topic_partitions(described: Iterable[Mapping[str, Any]]) -> list[TopicPartition]:
    """The partitions of the topics in a metadata answer (`describe_topics`); a topic with an
    error (one that does not exist) has none."""
    found = []
    for topic in described:
        if topic.get("error_code", 0):
            continue
        name = topic.get("topic", topic.get("name"))
        for part in topic.get("partitions", ()):
            found.append(
                TopicPartition(str(name), int(part.get("partition", part.get("partition_index"))))
            )
    return sorted(found)


async def group_members(admin: AIOKafkaAdminClient, group: str) -> set[str]:
    """The member ids the broker lists in consumer group `group` (none for an empty group)."""
    members: set[str] = set()
    for response in await admin.describe_consumer_groups([group]):
        for described in response.to_object()["groups"]:
            if described.get("group", described.get("group_id")) == group:
                members.update(m["member_id"] for m in described.get("members", ()))
    return members


def _abandon(consumer: AIOKafkaConsumer | None) -> None:
    """Stop the group work of a consumer that could not be closed (its coordination stuck), so
    it stops heartbeating: the broker then drops it from the group after the session timeout
    instead of holding its replacement's rebalance open. Reaches into aiokafka's coordinator
    (`_coordinator`, pinned version: uv.lock)."""
    coordinator = getattr(consumer, "_coordinator", None)
    for name in ("_heartbeat_task", "_coordination_task", "_commit_refresh_task"):
        task = getattr(coordinator, name, None)
        if isinstance(task, asyncio.Task) and not task.done():
            task.cancel()


def _member_id(consumer: AIOKafkaConsumer) -> str:
    """The member id the consumer's group coordinator was given ("" before it joined). Read
    from aiokafka's coordinator (`_coordinator`, pinned version: uv.lock)."""
    coordinator = getattr(consumer, "_coordinator", None)
    return str(getattr(coordinator, "member_id", "") or "")


@dataclass(frozen=True)
class Reading:
    """One measurement: lag per (group, topic, partition) and size per DLQ topic."""

    lags: dict[tuple[str, str, int], int]
    dlq: dict[str, int]


class LagGauges:
    """The gauges of one service; a series that disappears (a partition gone) is removed."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.lag = metrics.gauge(
            "consumer_lag",
            "Messages of a partition not yet committed by the consumer group (from the broker)",
            ("group", "topic", "partition"),
        )
        self.dlq = metrics.gauge(
            "dlq_messages",
            "Messages in the dead-letter topic <topic>.dlq of a consumed topic",
            ("topic",),
        )
        self.checked = metrics.gauge(
            "consumer_lag_checked_timestamp_seconds",
            "Unix time of the last successful consumer lag measurement",
        )
        self._lag_keys: set[tuple[str, str, str]] = set()

    def set(self, reading: Reading, now: float) -> None:
        keys = {(g, t, str(p)) for g, t, p in reading.lags}
        for gone in self._lag_keys - keys:
            self.lag.remove(*gone)
        for (group, topic, partition), lag in reading.lags.items():
            self.lag.labels(group, topic, str(partition)).set(lag)
        self._lag_keys = keys
        for topic, size in reading.dlq.items():
            self.dlq.labels(topic).set(size)
        self.checked.set(now)


class ConsumerLag:
    """A background runner (`aduan_shared.background.Runner`) measuring the lag of a broker's
    consumer groups; it does nothing for a broker without subscribers.

    It has Kafka clients of its own (an admin client and a consumer without a group, which
    only reads offsets), created at the first measurement, so an unreachable broker at start-up
    only makes the first measurements fail (logged, retried every interval)."""

    def __init__(
        self,
        broker: Any,
        settings: KafkaSettings,
        metrics: ServiceMetrics,
        interval_s: float | None = None,
        stall_after_s: float | None = None,
    ) -> None:
        self._broker = broker
        self._settings = settings
        self._client_id = f"aduan-{metrics.service}-lag"
        self._metrics = metrics
        self._interval_s = interval_s or settings.kafka_lag_interval_s
        self._watch = StallWatch(stall_after_s or settings.kafka_consumer_stall_s)
        self._restarts: Any = None  # the counter, made with the gauges
        self._not_started: list[Any] = []  # subscribers whose restart failed to start them
        self._gauges: LagGauges | None = None
        self._subs: list[Subscription] = []
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._loop: Periodic | None = None
        self._lock = asyncio.Lock()  # one measurement at a time: they share the clients

    @property
    def subscriptions(self) -> list[Subscription]:
        return self._subs

    async def start(self) -> None:
        self._subs = subscriptions(getattr(self._broker, "subscribers", ()))
        if not self._subs:
            return
        self._gauges = LagGauges(self._metrics)
        self._restarts = self._metrics.counter(
            "consumer_restarts",
            "Consumers restarted by the service because they stalled (consumer_watch.py)",
            ("group", "stall"),
        )
        self._loop = Periodic("consumer-lag", self.refresh, self._interval_s)
        await self._loop.start()

    async def stop(self) -> None:
        if self._loop is not None:
            await self._loop.stop()
            self._loop = None
        await self._close()

    async def refresh(self) -> Reading:
        """Measure once, set the gauges, and restart a consumer that stalled."""
        async with self._lock:
            try:
                reading = await self.measure()
                assert self._gauges is not None
                self._gauges.set(reading, time.time())
                await self._watch_consumers(reading)
            except Exception:
                self._watch.forget()  # a failed measurement tells nothing: start over
                await self._close()  # reconnect from scratch next time
                raise
        return reading

    async def _watch_consumers(self, reading: Reading) -> None:
        for sub in list(self._not_started):  # a restart that could not start it: again
            await asyncio.wait_for(sub.start(), RESTART_TIMEOUT_S)
            self._not_started.remove(sub)
        admin, _ = await self._clients()
        for sub in getattr(self._broker, "subscribers", ()):
            group, consumer = getattr(sub, "group_id", None), getattr(sub, "consumer", None)
            if not group or consumer is None:
                continue
            group = str(group)
            view = ConsumerView(
                group=group,
                member=_member_id(consumer) in await group_members(admin, group),
                behind=any(
                    reading.lags.get((group, tp.topic, tp.partition), 0) > 0
                    for tp in consumer.assignment()
                ),
                batches=batches_started(group),
            )
            stall = self._watch.observe(view, time.monotonic())
            if stall is not None:
                await self._restart(sub, group, stall)

    async def _restart(self, sub: Any, group: str, stall: Stall) -> None:
        log.error(
            "consumer_stalled_restarting",
            group=group,
            stall=stall,
            after_s=self._watch.stall_after_s,
        )
        self._restarts.labels(group, stall).inc()
        self._watch.forget(group)
        old = getattr(sub, "consumer", None)
        # The consume loop first, with the batch it holds: a stalled batch may never end, and
        # the subscriber's stop would wait for it (FastStream's graceful timeout, 15 s).
        loops = [t for t in getattr(sub, "tasks", ()) if not t.done()]
        for task in loops:
            task.cancel()
        if loops:
            await asyncio.wait(loops, timeout=RESTART_TIMEOUT_S)
        try:
            await asyncio.wait_for(sub.stop(), RESTART_TIMEOUT_S)
        except Exception as exc:  # a stuck consumer may not close: its replacement goes on
            log.warning("stalled_consumer_close_failed", group=group, error=repr(exc))
            _abandon(old)
        try:
            await asyncio.wait_for(sub.start(), RESTART_TIMEOUT_S)
        except Exception:
            self._not_started.append(sub)
            raise
        log.warning("consumer_restarted", group=group)

    async def measure(self) -> Reading:
        admin, consumer = await self._clients()
        topics = sorted({t for s in self._subs for t in s.topics})
        dlqs = [dlq_topic(t) for t in topics if not t.endswith(".dlq")]
        # Only topics that exist: asking the metadata of a missing one would create it on a
        # broker with auto.create.topics.enable (describe_topics allows it).
        existing = set(await admin.list_topics())
        wanted = [t for t in [*topics, *dlqs] if t in existing]
        partitions = topic_partitions(await admin.describe_topics(wanted)) if wanted else []
        first: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
        end: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        lags: dict[tuple[str, str, int], int] = {}
        for sub in self._subs:
            mine = {tp: end[tp] for tp in end if tp.topic in sub.topics}
            if not mine:  # its topics do not exist (yet)
                continue
            offsets = await admin.list_consumer_group_offsets(sub.group, partitions=list(mine))
            committed = {tp: meta.offset for tp, meta in offsets.items()}
            for tp, lag in partition_lags(first, mine, committed).items():
                lags[(sub.group, tp.topic, tp.partition)] = lag
        dlq_end = {tp: n for tp, n in end.items() if tp.topic in dlqs}
        return Reading(lags, topic_sizes(first, dlq_end))

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            bootstrap = self._settings.kafka_bootstrap_servers
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=self._client_id)
            consumer = AIOKafkaConsumer(
                bootstrap_servers=bootstrap,
                client_id=self._client_id,
                group_id=None,
                enable_auto_commit=False,
            )
            self._admin, self._consumer = admin, consumer
            await admin.start()
            await consumer.start()
        return self._admin, self._consumer

    async def _close(self) -> None:
        admin, consumer = self._admin, self._consumer
        self._admin = self._consumer = None
        if consumer is not None:
            try:
                await consumer.stop()
            except Exception as exc:  # closing a client of a broker that went away
                log.debug("lag_consumer_close_failed", error=repr(exc))
        if admin is not None:
            try:
                await admin.close()
            except Exception as exc:
                log.debug("lag_admin_close_failed", error=repr(exc))
