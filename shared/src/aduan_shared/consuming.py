"""A service's Kafka subscriptions: one handler per event type, fed by one batch consumer.

Every service used to run one consumer per topic, each handling one message at a time: a handler
waiting on the database or on a broker acknowledgement held up every message behind it, and each
consumer polled the broker on its own. Here one consumer reads all of the service's topics in
batches; within a batch, one report's events (same key) are handled in order, one after the
other, and different reports' events concurrently. Their publications then share the producer's
batches and their database calls the connection pool.

Delivery stays at least once: offsets are committed after the whole batch was handled. A message
that can never succeed (bad JSON, an invalid event, `Unprocessable`) goes to its topic's DLQ and
its report's later events go on; any other error stops that report's events and, once the rest of
the batch is done, rewinds the batch (its handled events come again, and handlers are idempotent).
"""

# no `from __future__ import annotations`: FastStream reads the batch handler's annotations,
# which refer to a local schema
import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import structlog
from aiokafka import ConsumerRecord
from faststream import StreamMessage
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError, WithJsonSchema

from aduan_shared.bulk import deferring
from aduan_shared.events import Event
from aduan_shared.kafka import BatchTools, Unprocessable, batch_tools, subscriber_options
from aduan_shared.logging import get_logger

log = get_logger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None]]

#: Most records taken from the broker at once. A batch is handled before the next is fetched.
BATCH_MAX_RECORDS = 200
#: How long an empty fetch waits for records (and the consumer sleeps after it), in ms: the
#: extra latency an event arriving at an idle service can see.
BATCH_WAIT_MS = 20

#: Batches started per consumer group in this process: the consumer's sign of life that
#: `ConsumerLag` watches (`aduan_shared.consumer_watch`).
_batches_started: Counter[str] = Counter()


def batches_started(group_id: str) -> int:
    """How many batches this process started handling for the consumer group `group_id`."""
    return _batches_started[group_id]


class Subscriptions:
    """The handlers of one service, by event type; `router()` subscribes them all at once.

    ```
    subscriptions = Subscriptions("analytics")

    @subscriptions.on(ReportReceived)
    async def on_received(event: ReportReceived) -> None: ...

    broker.include_router(subscriptions.router())
    ```
    """

    def __init__(self, group: str, max_records: int = BATCH_MAX_RECORDS) -> None:
        self.group = group  # consumer group `aduan-<group>`
        self.max_records = max_records
        self._handlers: dict[str, tuple[type[Event], Handler]] = {}

    def on(self, event_type: type[E]) -> Callable[[Callable[[E], Awaitable[None]]], Handler]:
        """Register the handler of `event_type` (of its topic, `event_type.TOPIC`)."""

        def register(handle: Callable[[E], Awaitable[None]]) -> Handler:
            if event_type.TOPIC in self._handlers:
                raise ValueError(f"{event_type.TOPIC} already has a handler")
            self._handlers[event_type.TOPIC] = (event_type, handle)
            return handle

        return register

    @property
    def topics(self) -> list[str]:
        return list(self._handlers)

    def router(self) -> KafkaRouter:
        """A router with one batch subscriber over every registered topic."""
        router = KafkaRouter()
        if not self._handlers:
            return router
        documented = {
            "type": "array",
            "items": {
                "anyOf": [_inlined(t.model_json_schema()) for t, _ in self._handlers.values()]
            },
        }
        handlers = dict(self._handlers)
        options = subscriber_options(self.group)
        group_id = options["group_id"]

        @router.subscriber(
            *handlers,
            title=f"aduan-{self.group}",
            description="Batches of the events below, each handled by its topic's handler",
            batch=True,
            max_records=self.max_records,
            batch_timeout_ms=BATCH_WAIT_MS,
            decoder=_undecoded,
            **options,
        )
        async def on_batch(
            bodies: Annotated[list[Any], WithJsonSchema(documented)], msg: KafkaMessage
        ) -> None:
            _batches_started[group_id] += 1
            await handle_batch(msg.raw_message, handlers)

        return router


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `$defs` references replaced by the definitions (the document's payload
    schema is given whole, so it cannot refer to definitions kept elsewhere)."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return dict(resolve(schema))


async def _undecoded(msg: StreamMessage[Any]) -> Any:
    """Leave the records' bodies as bytes: each is validated alone, so one bad message cannot
    fail its batch."""
    return list(msg.body)


async def handle_batch(
    records: tuple[ConsumerRecord[bytes, bytes], ...],
    handlers: dict[str, tuple[type[Event], Handler]],
) -> None:
    """Handle `records`: per key in order, keys concurrently; raise the first infrastructure
    error after every key's chain stopped, so the batch is redelivered."""
    chains: dict[bytes | None, list[ConsumerRecord[bytes, bytes]]] = {}
    for record in records:  # in order within each partition, so within each report and topic
        chains.setdefault(record.key, []).append(record)
    tools = batch_tools.get()
    with deferring() as writes:  # the handlers' deferred writes (aduan_shared.bulk)
        outcomes = await asyncio.gather(
            *(_handle_chain(chain, handlers, tools) for chain in chains.values())
        )
        failures = [exc for exc in outcomes if exc is not None]
        if not failures:
            await writes.flush()  # before the offsets are committed
    if failures:
        if len(failures) > 1:
            log.warning("batch_failures", count=len(failures), errors=[repr(e) for e in failures])
        raise failures[0]


async def _handle_chain(
    chain: list[ConsumerRecord[bytes, bytes]],
    handlers: dict[str, tuple[type[Event], Handler]],
    tools: BatchTools,
) -> Exception | None:
    for record in chain:
        event_type, handle = handlers[record.topic]
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        ids = {
            "correlation_id": headers.get("correlation_id"),
            "report_id": record.key.decode(errors="replace") if record.key else None,
            "topic": record.topic,
        }
        with structlog.contextvars.bound_contextvars(
            **{k: v for k, v in ids.items() if v is not None}
        ):
            began = time.perf_counter()
            try:
                event = event_type.model_validate_json(record.value or b"")
                await handle(event)
            except (ValidationError, Unprocessable, ValueError) as exc:
                await tools.dead_letter(record.topic, record, exc)
                tools.metrics.events_consumed.labels(record.topic, "dead_lettered").inc()
                continue
            except Exception as exc:
                log.warning("event_handling_failed_will_retry", error=repr(exc))
                tools.metrics.events_consumed.labels(record.topic, "retried").inc()
                return exc
            tools.metrics.handler_latency.labels(record.topic).observe(time.perf_counter() - began)
            tools.metrics.events_consumed.labels(record.topic, "ok").inc()
    return None
