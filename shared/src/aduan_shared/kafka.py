"""Kafka adapters: the broker factory, the event publisher, correlation and dead-letter handling."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import aiokafka
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber
from faststream import AckPolicy, BaseMiddleware, StreamMessage
from faststream.exceptions import IncorrectState
from faststream.kafka import KafkaBroker, KafkaRouter
from pydantic import ValidationError

from aduan_shared.errors import ServiceUnavailable
from aduan_shared.events import Event, dlq_topic
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.settings import KafkaSettings

log = get_logger(__name__)

#: Pause before an infrastructure error makes the message redelivered, so a database outage
#: does not turn into a tight retry loop.
REDELIVERY_PAUSE_S = 1.0


@dataclass(frozen=True)
class BatchTools:
    """What the dead-letter middleware lends a batch being handled (`aduan_shared.consuming`):
    its dead-letter sender and the service's metrics."""

    dead_letter: Callable[[str, Any, Exception], Awaitable[None]]
    metrics: ServiceMetrics


#: Set by the dead-letter middleware around each batch.
batch_tools: ContextVar[BatchTools] = ContextVar("aduan_batch_tools")


class PublishFailed(ServiceUnavailable):
    """The broker did not acknowledge the event in time; nothing was promised to the caller."""

    slug, title = "broker-unavailable", "Message broker unavailable"


class Unprocessable(Exception):
    """A message that can never succeed (bad data, unknown reference): it goes to the DLQ."""


def create_broker(settings: KafkaSettings, service: str, metrics: ServiceMetrics) -> KafkaBroker:
    """A broker whose producer is idempotent with `acks=all`; nothing connects until `start()`."""
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"aduan-{service}",
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=int(max(settings.kafka_publish_timeout_s * 2, 10) * 1000),
        middlewares=[_correlation_middleware()],
        decoder=_json_decoder,
        logger=logging.getLogger("aduan.broker"),  # rendered by our formatter, not FastStream's
    )
    broker.add_middleware(_dead_letter_middleware(broker, metrics))
    return broker


def subscriber_options(service: str) -> dict[str, Any]:
    """Options of every Aduan subscriber: one group per service, at-least-once delivery."""
    return {
        "group_id": f"aduan-{service}",
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }


async def _json_decoder(msg: StreamMessage[Any]) -> Any:
    """Aduan events are JSON whatever the content-type header says; a non-JSON body is a
    ValueError, so it goes to the DLQ."""
    return json.loads(msg.body)


class Publisher(Protocol):
    """What handlers and endpoints need of a publisher (fakes implement it in tests)."""

    async def publish(self, event: Event) -> None: ...


async def renew_producer(broker: KafkaBroker) -> None:
    """Replace the broker's idempotent producer with a fresh one (a new producer id).

    After a broker restart aiokafka's idempotent producer can be left with sequence numbers the
    broker rejects for ever (`OutOfOrderSequenceNumber`, aio-libs/aiokafka#1017): every later
    publish fails. A new producer starts a new sequence. FastStream keeps the producer in its
    broker configuration; this reaches it there (pinned versions, see uv.lock)."""
    config: Any = broker.config
    fast = config.producer
    await fast.disconnect()
    await fast.connect(
        aiokafka.AIOKafkaProducer(**broker._connection_kwargs),
        serializer=config.fd_config._serializer,
        codec=config.broker_codec or None,
    )


class EventPublisher:
    """Publishes events with key = report_id and the correlation id in the headers.

    Returns only after the broker acknowledged (`acks=all`), within the publish timeout. A
    producer the broker refuses for good (`OutOfOrderSequenceNumber` after a broker restart) is
    renewed, so the next publish goes through.
    """

    def __init__(
        self,
        broker: KafkaBroker | KafkaRouter,
        events: Iterable[type[Event]],
        metrics: ServiceMetrics,
        timeout_s: float = 5.0,
    ) -> None:
        self._metrics = metrics
        self._timeout_s = timeout_s
        self._broker = broker if isinstance(broker, KafkaBroker) else None
        self._renewing = asyncio.Lock()
        self._publishers = {
            e.TOPIC: broker.publisher(
                e.TOPIC,
                schema=e,
                title=f"{e.TOPIC}:publish",
                description=(e.__doc__ or "").strip() or None,
            )
            for e in events
        }

    async def publish(self, event: Event) -> None:
        """Publish `event`; raise PublishFailed when the broker does not acknowledge in time."""
        publisher = self._publishers.get(event.TOPIC)
        if publisher is None:
            raise ValueError(f"this service does not declare {event.TOPIC} as a publication")
        began = time.perf_counter()
        try:
            await asyncio.wait_for(
                publisher.publish(
                    event.model_dump_json().encode(),
                    key=event.key,
                    headers={"content-type": "application/json", "event_type": event.event_type},
                    correlation_id=event.correlation_id,
                ),
                self._timeout_s,
            )
        except (KafkaError, TimeoutError, OSError, IncorrectState) as exc:
            # IncorrectState: no producer at this instant (the broker not connected yet, or its
            # producer being renewed after a broker restart): refused like any other, a 503.
            log.warning("publish_failed", topic=event.TOPIC, error=repr(exc))
            if isinstance(exc, OutOfOrderSequenceNumber):
                await self._renew()
            raise PublishFailed(f"the message broker did not acknowledge {event.TOPIC}") from exc
        self._metrics.events_published.labels(event.TOPIC).inc()
        self._metrics.publish_latency.labels(event.TOPIC).observe(time.perf_counter() - began)

    async def _renew(self) -> None:
        if self._broker is None or self._renewing.locked():
            return  # a router's publisher has no producer of its own; or one renewal at a time
        async with self._renewing:
            try:
                await renew_producer(self._broker)
                log.warning("producer_renewed", reason="OutOfOrderSequenceNumber")
            except Exception as exc:  # the next failure tries again
                log.warning("producer_renewal_failed", error=repr(exc))

    async def publish_many(self, events: Iterable[Event]) -> None:
        """Publish several events concurrently; all are acknowledged when this returns."""
        await asyncio.gather(*(self.publish(e) for e in events))


def _correlation_middleware() -> type[BaseMiddleware]:
    class CorrelationMiddleware(BaseMiddleware):
        """Binds the message's correlation id and report id (its key) to every log line."""

        async def consume_scope(
            self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]
        ) -> Any:
            raw = msg.raw_message
            key = getattr(raw, "key", None)
            ids = {
                "correlation_id": msg.correlation_id,
                "report_id": key.decode(errors="replace") if isinstance(key, bytes) else None,
                "topic": getattr(raw, "topic", None),
            }
            with structlog.contextvars.bound_contextvars(
                **{k: v for k, v in ids.items() if v is not None}
            ):
                return await call_next(msg)

    return CorrelationMiddleware


def _dead_letter_middleware(broker: KafkaBroker, metrics: ServiceMetrics) -> type[BaseMiddleware]:
    class DeadLetterMiddleware(BaseMiddleware):
        """Sends a message that can never succeed to `<topic>.dlq` and moves on.

        Parse errors and `Unprocessable` go to the DLQ; any other error is infrastructure and
        propagates, so the message is redelivered (NACK_ON_ERROR) after a short pause.
        """

        async def consume_scope(
            self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]
        ) -> Any:
            raw = msg.raw_message
            if isinstance(raw, (tuple, list)):  # a batch: its handler dead-letters each record
                return await self._batch(call_next, msg)
            topic = str(getattr(raw, "topic", "unknown"))
            try:
                with metrics.handler_latency.labels(topic).time():
                    result = await call_next(msg)
            except (ValidationError, Unprocessable, ValueError) as exc:
                await self._dead_letter(topic, raw, exc)
                metrics.events_consumed.labels(topic, "dead_lettered").inc()
                return None
            except Exception as exc:
                log.warning("event_handling_failed_will_retry", error=repr(exc))
                metrics.events_consumed.labels(topic, "retried").inc()
                await asyncio.sleep(REDELIVERY_PAUSE_S)
                raise
            metrics.events_consumed.labels(topic, "ok").inc()
            return result

        async def _batch(
            self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]
        ) -> Any:
            token = batch_tools.set(BatchTools(self._dead_letter, metrics))
            try:
                return await call_next(msg)
            except Exception:
                await asyncio.sleep(REDELIVERY_PAUSE_S)  # then the batch is rewound (nack)
                raise
            finally:
                batch_tools.reset(token)

        async def _dead_letter(self, topic: str, raw: Any, exc: Exception) -> None:
            if topic.endswith(".dlq"):  # never a DLQ of a DLQ
                log.error("dead_letter_unprocessable", error=str(exc)[:500])
                return
            log.error("event_dead_lettered", error=str(exc)[:500])
            headers = {k: v.decode(errors="replace") for k, v in (raw.headers or ())}
            headers.update(
                {
                    "dlq_error": str(exc)[:2000],
                    "dlq_error_type": type(exc).__name__,
                    "dlq_source_topic": topic,
                    "dlq_source_offset": str(getattr(raw, "offset", "")),
                }
            )
            await broker.publish(raw.value, topic=dlq_topic(topic), key=raw.key, headers=headers)

    return DeadLetterMiddleware


async def all_partitions(
    consumer: AIOKafkaConsumer, topics: Sequence[str], timeout_s: float = 30
) -> list[TopicPartition]:
    """Every partition of `topics`, by subscribing a group-less consumer (which is assigned
    them all with the first metadata); raises if a topic has none by `timeout_s`."""
    consumer.subscribe(list(topics))
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout_s
    while {tp.topic for tp in consumer.assignment()} != set(topics):
        if loop.time() > until:
            missing = set(topics) - {tp.topic for tp in consumer.assignment()}
            raise RuntimeError(f"no partitions for {sorted(missing)} within {timeout_s:g} s")
        await asyncio.sleep(0.1)
    return sorted(consumer.assignment())
