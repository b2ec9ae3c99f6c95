"""Batch handling: one report's events in order, reports concurrently, poison to the DLQ, an
infrastructure error rewinds the batch only after the rest was handled."""

import asyncio
import json
import uuid
from typing import Any

import pytest
from aduan_shared.consuming import Subscriptions, handle_batch
from aduan_shared.events import REPORT_STATUS_CHANGED, Actor, ReportState, StatusChanged, utcnow
from aduan_shared.kafka import BatchTools, Unprocessable, batch_tools
from aduan_shared.metrics import ServiceMetrics
from aiokafka import ConsumerRecord
from prometheus_client import generate_latest

OFFSETS = iter(range(1_000_000))


def changed(report: uuid.UUID, version: int) -> StatusChanged:
    return StatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=utcnow(),
        report_id=report,
        correlation_id=str(uuid.uuid4()),
        version=version,
        from_state=ReportState.WAITING,
        to_state=ReportState.IN_PROGRESS,
        unit_id="kelurahan:31.74.03.1002",
        actor=Actor(role="unit_officer", id="officer-1"),
    )


def record(body: bytes, key: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=REPORT_STATUS_CHANGED,
        partition=0,
        offset=next(OFFSETS),
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=body,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(body),
        headers=[("correlation_id", b"c-1")],
    )


def of(event: StatusChanged) -> ConsumerRecord[bytes, bytes]:
    return record(event.model_dump_json().encode(), str(event.report_id).encode())


class Tools:
    def __init__(self) -> None:
        self.metrics = ServiceMetrics("test")
        self.dead: list[tuple[str, bytes, str]] = []

    async def dead_letter(self, topic: str, raw: Any, exc: Exception) -> None:
        self.dead.append((topic, raw.value, type(exc).__name__))

    def count(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "aduan_test_events_consumed_total",
            {"topic": REPORT_STATUS_CHANGED, "outcome": outcome},
        )
        return value or 0.0


async def run(records: list[ConsumerRecord[bytes, bytes]], handle: Any, tools: Tools) -> None:
    token = batch_tools.set(BatchTools(tools.dead_letter, tools.metrics))
    try:
        await handle_batch(tuple(records), {REPORT_STATUS_CHANGED: (StatusChanged, handle)})
    finally:
        batch_tools.reset(token)


def test_one_reports_events_in_order_and_reports_concurrently() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    seen: list[tuple[uuid.UUID, int]] = []
    running = 0
    most = 0

    async def handle(event: StatusChanged) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01 if event.version == 1 else 0)  # the first is the slowest
        seen.append((event.report_id, event.version))
        running -= 1

    records = [of(changed(a, 1)), of(changed(b, 1)), of(changed(a, 2)), of(changed(b, 2))]
    tools = Tools()
    asyncio.run(run(records, handle, tools))
    assert [v for r, v in seen if r == a] == [1, 2]
    assert [v for r, v in seen if r == b] == [1, 2]
    assert most == 2  # the two reports at once, never two events of one report
    assert tools.count("ok") == 4


def test_a_poison_message_goes_to_the_dlq_and_its_reports_next_event_is_handled() -> None:
    a = uuid.uuid4()
    handled: list[int] = []

    async def handle(event: StatusChanged) -> None:
        if event.version == 2:
            raise Unprocessable("no such report")
        handled.append(event.version)

    key = str(a).encode()
    records = [
        record(b"{not json", key),
        record(json.dumps({"report_id": str(a)}).encode(), key),  # not a StatusChanged
        of(changed(a, 1)),
        of(changed(a, 2)),
        of(changed(a, 3)),
    ]
    tools = Tools()
    asyncio.run(run(records, handle, tools))
    assert handled == [1, 3]
    assert [name for _, _, name in tools.dead] == [
        "ValidationError",
        "ValidationError",
        "Unprocessable",
    ]
    assert tools.dead[0][1] == b"{not json"
    assert (tools.count("dead_lettered"), tools.count("ok")) == (3, 2)
    text = generate_latest(tools.metrics.registry).decode()
    assert f'aduan_test_event_handling_seconds_count{{topic="{REPORT_STATUS_CHANGED}"}} 2.0' in text


def test_an_infrastructure_error_stops_that_report_and_fails_the_batch_after_the_rest() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    handled: list[tuple[uuid.UUID, int]] = []

    async def handle(event: StatusChanged) -> None:
        if event.report_id == a and event.version == 1:
            raise ConnectionError("database down")
        await asyncio.sleep(0.01)  # b's events finish after a's failure
        handled.append((event.report_id, event.version))

    records = [of(changed(a, 1)), of(changed(a, 2)), of(changed(b, 1)), of(changed(b, 2))]
    tools = Tools()
    with pytest.raises(ConnectionError):
        asyncio.run(run(records, handle, tools))
    assert handled == [(b, 1), (b, 2)]  # a's second event waits for its first (redelivered)
    assert (tools.count("retried"), tools.count("ok")) == (1, 2)
    assert tools.dead == []


def test_subscriptions_take_one_handler_per_event_type() -> None:
    subscriptions = Subscriptions("test")

    @subscriptions.on(StatusChanged)
    async def first(event: StatusChanged) -> None:
        return None

    with pytest.raises(ValueError, match="already has a handler"):
        subscriptions.on(StatusChanged)(first)
    assert subscriptions.topics == [REPORT_STATUS_CHANGED]
    (subscriber,) = subscriptions.router().subscribers
    assert subscriber.group_id == "aduan-test"
    assert [t.name for t in subscriber.topics] == [REPORT_STATUS_CHANGED]
