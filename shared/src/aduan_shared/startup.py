"""Waiting for the broker at start-up: services and Kafka start in any order, and Kafka restarts."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from faststream.kafka.schemas.params import AdminClientConnectionParams

from aduan_shared.logging import get_logger

log = get_logger(__name__)

Hook = Callable[[], Awaitable[None]]

#: First pause after a failed broker start; it doubles after each failure, up to the cap.
BROKER_RETRY_FIRST_S = 0.5
BROKER_RETRY_MAX_S = 10.0
#: The least time the last attempt gets, even when the timeout has (almost) run out.
BROKER_LAST_ATTEMPT_S = 5.0


class BrokerStartTimeout(RuntimeError):
    """The broker stayed unreachable for `KAFKA_STARTUP_TIMEOUT_S`: the process exits non-zero."""


class StartupAbandoned(RuntimeError):
    """The process was asked to stop (SIGTERM, Ctrl-C) while it still waited for the broker."""


def _jitter(delay: float) -> float:
    """Between half and all of `delay`, so restarted replicas do not retry in lock-step."""
    return random.uniform(delay / 2, delay)


async def start_with_retry(
    start: Hook,
    stop: Hook,
    timeout_s: float,
    *,
    what: str = "the broker",
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    jitter: Callable[[float], float] = _jitter,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Call `start` until it succeeds; returns the number of attempts.

    Services and Kafka start in any order, and Kafka restarts: a failed start is retried after
    0.5 s, doubling up to 10 s (with jitter), for at most `timeout_s` seconds (0 = for ever),
    then `BrokerStartTimeout` names `what` and the time waited. After every failure `stop` runs,
    so a half-started broker (a producer connected, its admin client or a consumer not) leaves no
    client behind, and the next attempt starts from scratch. `stopping()` true after a failure
    (the process was asked to exit) ends the wait with `StartupAbandoned`.
    """
    began = clock()
    attempt = 0
    while True:
        attempt += 1
        left = timeout_s - (clock() - began) if timeout_s else None
        try:
            # A bounded attempt: a connection that hangs cannot outlast the timeout (much).
            async with asyncio.timeout(None if left is None else max(left, BROKER_LAST_ATTEMPT_S)):
                await start()
        except Exception as exc:
            await _clean_up(stop, what)
            waited = clock() - began
            if timeout_s and waited >= timeout_s:
                raise BrokerStartTimeout(
                    f"{what} unreachable: gave up after {waited:.0f}s and {attempt} attempts "
                    f"(KAFKA_STARTUP_TIMEOUT_S={timeout_s:g}); last error: {exc!r}"
                ) from exc
            delay = jitter(min(BROKER_RETRY_MAX_S, BROKER_RETRY_FIRST_S * 2 ** (attempt - 1)))
            if timeout_s:
                delay = min(delay, timeout_s - waited)
            delay = round(delay, 2)
            log.warning("broker_start_retry", attempt=attempt, delay=delay, error=repr(exc))
            if not stopping():
                await sleep(delay)
            if stopping():
                raise StartupAbandoned(f"stopped while waiting for {what}") from exc
        else:
            if attempt > 1:
                log.info("broker_started", attempts=attempt, waited_s=round(clock() - began, 1))
            return attempt


async def reach_then_start(broker: KafkaBroker) -> None:
    """Start `broker` once its bootstrap servers answer a client this function closes itself.

    A failed `KafkaBroker.start` drops the aiokafka producer it could not start, unclosed, and
    asyncio logs each one as an error ("Unclosed AIOKafkaProducer"): while Kafka is down, every
    retry would add one."""
    kwargs: dict[str, Any] = broker._connection_kwargs
    params = AdminClientConnectionParams  # what an admin client takes, security included
    keys = params.__required_keys__ | params.__optional_keys__
    probe = AIOKafkaAdminClient(**{k: v for k, v in kwargs.items() if k in keys})
    try:
        await probe.start()
    finally:
        await probe.close()
    await broker.start()


async def _clean_up(stop: Hook, what: str) -> None:
    try:
        await stop()
    except Exception as exc:  # the next attempt starts anew; a failed clean-up must not end it
        log.warning("broker_cleanup_failed", target=what, error=repr(exc))
