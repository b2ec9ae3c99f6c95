"""The background dispatcher: drains due deliveries, sends each at most once, records the outcome.

Runs beside the Kafka consumer (ServiceParts.background), so a slow channel never holds up
consumption. Each step: claims still `sending` long after their start become `unknown`; due
`pending` deliveries are resolved to a target, checked against the channel's rate limit and
circuit breaker (either can postpone them without counting an attempt), claimed, sent, and
finished; final outcomes not yet published are published. Handlers `wake` it after planning.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from aduan_shared.events import utcnow
from aduan_shared.kafka import PublishFailed
from aduan_shared.logging import get_logger

from aduan_notifier.adapters.deliveries import Delivery, DispatchStore
from aduan_notifier.metrics import DeliveryMetrics
from aduan_notifier.resilience import CircuitBreaker, RateLimiter, backoff_delay
from aduan_notifier.routing import NeedsReport, Target, Unreachable
from aduan_notifier.senders.base import Outbound, Permanent, Sender, Transient, Unknown
from aduan_notifier.templates import Language, subject

log = get_logger(__name__)


class TargetResolver(Protocol):
    async def target(
        self, delivery: Delivery, now: datetime
    ) -> Target | Unreachable | NeedsReport: ...


class OutcomeSink(Protocol):
    async def publish(self, delivery: Delivery) -> None:
        """Publish a final delivery's outcome; raise PublishFailed if the broker did not ack."""
        ...


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 5
    backoff_base_s: float = 2.0
    backoff_max_s: float = 300.0
    send_timeout_s: float = 10.0
    breaker_threshold: int = 5
    breaker_reset_s: float = 60.0
    rate_limits: Mapping[str, float] = field(default_factory=dict)
    rate_burst: float = 5.0
    interval_s: float = 1.0
    batch: int = 50
    concurrency: int = 32
    #: A rate-limit wait up to this long is waited out in the dispatcher rather than written
    #: back as a postponement (a database write, and the delivery read again next step).
    hold_s: float = 0.5
    lost_after_s: float = 300.0
    origin_poll_s: float = 2.0
    language: Language = "id"


class Dispatcher:
    name = "notifier-dispatch"

    def __init__(
        self,
        store: DispatchStore,
        resolver: TargetResolver,
        senders: Mapping[str, Sender],
        outcomes: OutcomeSink,
        metrics: DeliveryMetrics,
        policy: Policy,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store, self._resolver, self._senders = store, resolver, senders
        self._outcomes, self._metrics, self._policy = outcomes, metrics, policy
        self._clock, self._now, self._jitter, self._sleep = clock, now, jitter, sleep
        self._breakers: dict[str, CircuitBreaker] = {}
        self._limiters: dict[str, RateLimiter] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lost_checked: float | None = None  # when `mark_lost` last ran (self._clock)

    # --- running ----------------------------------------------------------------------------

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next interval."""
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.step()
            except Exception as exc:  # the database may be away for a while: keep going
                log.warning("dispatch_step_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._policy.interval_s)

    async def step(self) -> int:
        """One pass; returns how many due deliveries it handled."""
        p, now = self._policy, self._now()
        if self._lost_checked is None or self._clock() - self._lost_checked >= p.lost_after_s / 10:
            # a claim is lost only after `lost_after_s`: looking ten times in that span is
            # enough, and spares a busy dispatcher a scan of every `sending` record per step
            self._lost_checked = self._clock()
            lost = await self._store.mark_lost(now, now - timedelta(seconds=p.lost_after_s))
            if lost:
                self._metrics.lost.inc(lost)
                log.warning("deliveries_lost_in_crash_marked_unknown", count=lost)
        due = await self._store.due(now, p.batch)
        gate = asyncio.Semaphore(p.concurrency)

        async def one(delivery: Delivery) -> None:
            async with gate:
                try:
                    await self._deliver(delivery)
                except Exception as exc:  # infrastructure: the delivery stays as it was
                    log.warning("delivery_step_failed", delivery_id=delivery.id, error=repr(exc))

        await asyncio.gather(*(one(d) for d in due))
        await self.publish_outcomes()
        return len(due)

    async def publish_outcomes(self) -> int:
        """Publish the finished deliveries' outcomes concurrently (the producer batches them),
        then mark every acknowledged one in one write; the others are tried next step."""
        pending = await self._store.unpublished(self._policy.batch)
        results = await asyncio.gather(
            *(self._outcomes.publish(d) for d in pending), return_exceptions=True
        )
        done = []
        for delivery, result in zip(pending, results, strict=True):
            if isinstance(result, PublishFailed):
                log.warning("outcome_not_published_will_retry", delivery_id=delivery.id)
            elif isinstance(result, BaseException):
                raise result
            else:
                done.append(delivery.id)
        if done:
            await self._store.mark_published(done)
        return len(done)

    # --- one delivery -----------------------------------------------------------------------

    def _breaker(self, channel: str) -> CircuitBreaker:
        if channel not in self._breakers:
            p = self._policy
            self._breakers[channel] = CircuitBreaker(p.breaker_threshold, p.breaker_reset_s)
        return self._breakers[channel]

    def _limiter(self, channel: str) -> RateLimiter:
        if channel not in self._limiters:
            rate = self._policy.rate_limits.get(channel, 10.0)
            self._limiters[channel] = RateLimiter(rate, self._policy.rate_burst)
        return self._limiters[channel]

    async def _deliver(self, d: Delivery) -> None:
        p, now = self._policy, self._now()
        target = await self._resolver.target(d, now)
        if isinstance(target, NeedsReport):
            await self._store.postpone(
                d.id, now + timedelta(seconds=p.origin_poll_s), "report_origin"
            )
            return
        if isinstance(target, Unreachable):
            await self._finish(d, None, "failed", target.channel, target.reason)
            return
        channel = target.channel
        sender = self._senders.get(channel)
        if sender is None:
            await self._finish(d, None, "failed", channel, "channel_not_configured")
            return
        breaker = self._breaker(channel)
        taken, wait = self._limiter(channel).reserve(self._clock(), within=p.hold_s)
        if taken:  # now, or soon enough to wait here rather than write a postponement
            if wait:
                await self._sleep(wait)
            wait = 0.0
        wait = wait or breaker.wait(self._clock())
        if wait:
            reason = "rate_limit" if breaker.state == "closed" else "circuit_open"
            await self._store.postpone(d.id, now + timedelta(seconds=wait), reason)
            return
        token = uuid.uuid4().hex
        claimed = await self._store.claim(d.id, token, channel, now)
        if claimed is None:  # another dispatcher took it (a breaker trial taken expires)
            return
        message = Outbound(
            key=d.id,
            text=d.text,
            subject=subject(d.params, p.language),
            template=d.template,
            report_id=d.report_id,
            tracking_code=d.params.get("tracking_code"),
            recipient=d.recipient if d.recipient_kind == "unit" else "",
        )
        began = self._clock()
        try:
            await asyncio.wait_for(sender.send(target.address, message), p.send_timeout_s)
        except (Unknown, TimeoutError) as exc:  # it may have gone: never resent (at most once)
            detail = exc.detail if isinstance(exc, Unknown) else "timeout: may have been sent"
            self._metrics.attempt(channel, "unknown", self._clock() - began)
            breaker.failure(self._clock())
            await self._finish(claimed, token, "unknown", channel, detail)
            return
        except Transient as exc:
            detail = exc.detail
            self._metrics.attempt(channel, "transient", self._clock() - began)
            breaker.failure(self._clock())
            await self._after_transient(claimed, token, channel, detail)
            return
        except Permanent as exc:
            self._metrics.attempt(channel, "permanent", self._clock() - began)
            breaker.success()  # the channel answered; the message was at fault
            await self._finish(claimed, token, "failed", channel, exc.detail)
            return
        except Exception as exc:  # a bug after the request may have gone: never resend
            self._metrics.attempt(channel, "error", self._clock() - began)
            await self._finish(claimed, token, "failed", channel, f"error {type(exc).__name__}")
            return
        self._metrics.attempt(channel, "ok", self._clock() - began)
        breaker.success()
        if await self._finish(claimed, token, "sent", channel, None):
            self._metrics.latency.labels(channel).observe(
                (self._now() - d.created_at).total_seconds()
            )
        self._metrics.breaker_state(channel, breaker.state)

    async def _after_transient(self, d: Delivery, token: str, channel: str, detail: str) -> None:
        p = self._policy
        self._metrics.breaker_state(channel, self._breaker(channel).state)
        if d.attempts >= p.max_attempts:
            await self._finish(d, token, "gave_up", channel, detail)
            return
        delay = backoff_delay(d.attempts, p.backoff_base_s, p.backoff_max_s, self._jitter())
        if not await self._store.retry(d.id, token, self._now() + timedelta(seconds=delay), detail):
            log.warning("delivery_claim_lost", delivery_id=d.id)
        log.info("delivery_retry_scheduled", channel=channel, attempt=d.attempts, delay_s=delay)

    async def _finish(
        self, d: Delivery, token: str | None, status: str, channel: str, error: str | None
    ) -> bool:
        done = await self._store.finish(
            d.id, token, status=status, channel=channel, now=self._now(), error=error
        )
        if not done:  # checked after sending: someone marked it meanwhile (lost claim)
            log.warning("delivery_claim_lost", delivery_id=d.id, status=status)
            return False
        self._metrics.deliveries.labels(channel, d.template, status).inc()
        log.info(
            "notification_" + status,
            channel=channel,
            template=d.template,
            recipient_kind=d.recipient_kind,
            attempts=d.attempts,
            error=error,
        )
        return True
