"""A service waits for an unreachable broker (`start_with_retry`): fakes for the broker, the
clock and the pauses, no Kafka."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings
from dataclasses import dataclass, field

import pytest
from aduan_shared.settings import KafkaSettings
from aduan_shared.startup import (
    BROKER_RETRY_FIRST_S,
    BROKER_RETRY_MAX_S,
    BrokerStartTimeout,
    StartupAbandoned,
    reach_then_start,
    start_with_retry,
)
from faststream.kafka import KafkaBroker
from structlog.testing import capture_logs


class Unreachable(ConnectionError):
    pass


@dataclass
class FakeBroker:
    """Fails its first `failures` starts; records every call in order."""

    failures: int
    calls: list[str] = field(default_factory=list)
    stop_fails: bool = False

    async def start(self) -> None:
        self.calls.append("start")
        if self.calls.count("start") <= self.failures:
            raise Unreachable(f"attempt {self.calls.count('start')}: connection refused")

    async def stop(self) -> None:
        self.calls.append("stop")
        if self.stop_fails:
            raise RuntimeError("half-started consumer would not stop")


@dataclass
class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def no_jitter(delay: float) -> float:
    return delay


async def run(broker: FakeBroker, time: FakeTime, timeout_s: float, **kwargs: object) -> int:
    return await start_with_retry(
        broker.start,
        broker.stop,
        timeout_s,
        what="Kafka at kafka-0:9092",
        sleep=time.sleep,
        clock=time.clock,
        jitter=no_jitter,
        **kwargs,
    )


async def test_succeeds_after_failures_and_cleans_up_after_each() -> None:
    broker, time = FakeBroker(failures=3), FakeTime()
    assert await run(broker, time, timeout_s=300) == 4
    assert broker.calls == ["start", "stop", "start", "stop", "start", "stop", "start"]
    assert len(time.slept) == 3


async def test_a_reachable_broker_starts_at_once() -> None:
    broker, time = FakeBroker(failures=0), FakeTime()
    assert await run(broker, time, timeout_s=300) == 1
    assert broker.calls == ["start"]
    assert time.slept == []


async def test_pauses_double_from_half_a_second_up_to_the_cap() -> None:
    broker, time = FakeBroker(failures=9), FakeTime()
    await run(broker, time, timeout_s=0)
    assert time.slept == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]
    assert time.slept[0] == BROKER_RETRY_FIRST_S
    assert max(time.slept) == BROKER_RETRY_MAX_S


async def test_jitter_keeps_every_pause_between_half_and_all_of_the_step() -> None:
    broker, time = FakeBroker(failures=30), FakeTime()
    await start_with_retry(broker.start, broker.stop, 0, sleep=time.sleep, clock=time.clock)
    steps = [min(BROKER_RETRY_MAX_S, BROKER_RETRY_FIRST_S * 2**i) for i in range(30)]
    assert all(step / 2 <= slept <= step for slept, step in zip(time.slept, steps, strict=True))
    assert len(set(time.slept)) > 1


async def test_zero_timeout_waits_for_ever() -> None:
    broker, time = FakeBroker(failures=200), FakeTime()
    assert await run(broker, time, timeout_s=0) == 201
    assert time.now - 1000.0 > 1800  # half an hour of refusals, still waiting


async def test_gives_up_after_the_timeout_naming_the_servers_and_the_time() -> None:
    broker, time = FakeBroker(failures=10_000), FakeTime()
    with pytest.raises(BrokerStartTimeout) as failed:
        await run(broker, time, timeout_s=60)
    message = str(failed.value)
    assert "Kafka at kafka-0:9092 unreachable" in message
    assert "after 60s" in message
    assert "KAFKA_STARTUP_TIMEOUT_S=60" in message
    assert "connection refused" in message  # the last error
    assert isinstance(failed.value.__cause__, Unreachable)
    assert time.now - 1000.0 == pytest.approx(60)  # the last pause ends at the deadline
    assert broker.calls[-2:] == ["start", "stop"]  # the last failed start is cleaned up too
    assert broker.calls.count("start") == broker.calls.count("stop")


async def test_a_failing_clean_up_does_not_end_the_wait() -> None:
    broker, time = FakeBroker(failures=2, stop_fails=True), FakeTime()
    assert await run(broker, time, timeout_s=300) == 3


async def test_asked_to_stop_while_waiting_ends_the_wait() -> None:
    broker, time = FakeBroker(failures=10_000), FakeTime()
    with pytest.raises(StartupAbandoned, match="Kafka at kafka-0:9092"):
        await run(broker, time, timeout_s=0, stopping=lambda: len(time.slept) >= 2)
    assert broker.calls.count("start") == 2
    assert broker.calls[-1] == "stop"


async def test_each_retry_is_logged_with_attempt_delay_and_error() -> None:
    broker, time = FakeBroker(failures=2), FakeTime()
    with capture_logs() as logs:
        await run(broker, time, timeout_s=300)
    retries = [e for e in logs if e["event"] == "broker_start_retry"]
    assert [(e["attempt"], e["delay"]) for e in retries] == [(1, 0.5), (2, 1.0)]
    assert retries[0]["error"] == repr(Unreachable("attempt 1: connection refused"))
    assert [e["attempts"] for e in logs if e["event"] == "broker_started"] == [3]


def test_the_startup_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_STARTUP_TIMEOUT_S", raising=False)
    assert KafkaSettings().kafka_startup_timeout_s == 300
    monkeypatch.setenv("KAFKA_STARTUP_TIMEOUT_S", "0")
    assert KafkaSettings().kafka_startup_timeout_s == 0
    monkeypatch.setenv("KAFKA_STARTUP_TIMEOUT_S", "-1")
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        KafkaSettings()


@pytest.mark.parametrize("probe_first", [False, True], ids=["broker.start", "reach_then_start"])
async def test_a_real_broker_with_nothing_listening_is_left_with_no_clients(
    probe_first: bool,
) -> None:
    """FastStream's KafkaBroker against a closed port (no Kafka anywhere): every failed start is
    stopped, so no producer, admin client or consumer survives, and a later start begins anew;
    probing first (`reach_then_start`) does not even leave an unclosed producer to the GC."""
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    broker = KafkaBroker(f"127.0.0.1:{port}", request_timeout_ms=2000)

    @broker.subscriber("aduan.test.v1", group_id="aduan-test")
    async def handle(body: str) -> None: ...

    time = FakeTime()
    before = asyncio.all_tasks()
    with (
        warnings.catch_warnings(record=True) as caught,
        pytest.raises(BrokerStartTimeout, match=f"127.0.0.1:{port}"),
    ):
        warnings.simplefilter("always", ResourceWarning)
        await start_with_retry(
            (lambda: reach_then_start(broker)) if probe_first else broker.start,
            broker.stop,
            3,
            what=f"Kafka at 127.0.0.1:{port}",
            sleep=time.sleep,
            clock=time.clock,
            jitter=no_jitter,
        )
    assert len(time.slept) == 3  # 0.5 + 1 + 1.5 (the last pause ends at the deadline)
    assert not broker.running
    assert broker.config.broker_config.admin.admin_client is None
    assert not broker.config.broker_config.producer
    assert all(sub.consumer is None for sub in broker.subscribers)  # type: ignore[attr-defined]
    assert asyncio.all_tasks() <= before
    with warnings.catch_warnings(record=True) as collected:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    unclosed = [w for w in caught + collected if "Unclosed AIOKafkaProducer" in str(w.message)]
    assert len(unclosed) == (0 if probe_first else 4)  # one per failed KafkaBroker.start
