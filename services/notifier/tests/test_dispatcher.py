"""The dispatcher's state machine with fake adapters and a hand-driven clock (no waiting)."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from aduan_notifier.adapters.deliveries import FINAL, Delivery
from aduan_notifier.dispatcher import Dispatcher, Policy
from aduan_notifier.metrics import DeliveryMetrics
from aduan_notifier.routing import NeedsReport, Target, Unreachable
from aduan_notifier.senders.base import Outbound, Permanent, Transient, Unknown
from aduan_shared.kafka import PublishFailed
from aduan_shared.metrics import ServiceMetrics

T0 = datetime(2026, 11, 22, 8, tzinfo=UTC)


@dataclass
class Clock:
    seconds: float = 0.0

    def mono(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.seconds)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass
class Row:
    d: Delivery
    next_at: datetime
    claim: str | None = None
    sending_at: datetime | None = None
    published: bool | None = None
    waiting_for: str | None = None


class MemoryStore:
    """The MongoDeliveryStore's semantics over a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.lost_scans = 0

    def add(self, key: str, **over: object) -> None:
        d = Delivery(
            id=key,
            report_id="00000000-0000-0000-0000-000000000001",
            topic="t",
            correlation_id="c",
            recipient_kind="reporter",
            recipient=f"ref-{key}",
            template="done",
            text=f"text {key}",
            params={"tracking_code": "JKT-1"},
            status="pending",
            attempts=0,
            created_at=T0,
        )
        self.rows[key] = Row(replace(d, **over), T0)  # type: ignore[arg-type]

    def get(self, key: str) -> Delivery:
        return self.rows[key].d

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        due = [r for r in self.rows.values() if r.d.status == "pending" and r.next_at <= now]
        return [r.d for r in sorted(due, key=lambda r: r.next_at)][:limit]

    async def postpone(self, delivery_id: str, until: datetime, reason: str) -> None:
        row = self.rows[delivery_id]
        if row.d.status == "pending":
            row.next_at, row.waiting_for = until, reason

    async def claim(
        self, delivery_id: str, token: str, channel: str, now: datetime
    ) -> Delivery | None:
        row = self.rows[delivery_id]
        if row.d.status != "pending":
            return None
        row.d = replace(row.d, status="sending", attempts=row.d.attempts + 1, channel=channel)
        row.claim, row.sending_at = token, now
        return row.d

    async def retry(self, delivery_id: str, token: str, at: datetime, error: str) -> bool:
        row = self.rows[delivery_id]
        if row.d.status != "sending" or row.claim != token:
            return False
        row.d, row.next_at = replace(row.d, status="pending", error=error), at
        return True

    async def finish(
        self,
        delivery_id: str,
        token: str | None,
        *,
        status: str,
        channel: str,
        now: datetime,
        error: str | None = None,
    ) -> bool:
        row = self.rows[delivery_id]
        if (row.d.status, row.claim) != (("sending", token) if token else ("pending", None)):
            return False
        outcome = "failed" if status == "unknown" else status
        row.d = replace(
            row.d, status=status, outcome=outcome, channel=channel, error=error, finished_at=now
        )
        row.published = False
        return True

    async def mark_lost(self, now: datetime, sending_before: datetime) -> int:
        self.lost_scans += 1
        lost = [
            r
            for r in self.rows.values()
            if r.d.status == "sending" and r.sending_at and r.sending_at < sending_before
        ]
        for r in lost:
            r.d = replace(r.d, status="unknown", outcome="failed", error="unknown_after_crash")
            r.published = False
        return len(lost)

    async def unpublished(self, limit: int) -> list[Delivery]:
        return [r.d for r in self.rows.values() if r.published is False][:limit]

    async def mark_published(self, delivery_ids: Sequence[str]) -> None:
        for delivery_id in delivery_ids:
            self.rows[delivery_id].published = True


class FixedTargets:
    def __init__(self, targets: Mapping[str, Target | Unreachable | NeedsReport]) -> None:
        self.targets = targets

    async def target(self, delivery: Delivery, now: datetime) -> Target | Unreachable | NeedsReport:
        return self.targets.get(delivery.id, Target("sms", {"phone": "+62811"}))


@dataclass
class ScriptedSender:
    """Raises the scripted failures in order, then accepts."""

    script: list[Exception] = field(default_factory=list)
    always: Exception | None = None
    sent: list[tuple[dict[str, str], Outbound]] = field(default_factory=list)
    calls: int = 0

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        self.calls += 1
        if self.always is not None:
            raise self.always
        if self.script:
            raise self.script.pop(0)
        self.sent.append((dict(address), message))


@dataclass
class Outcomes:
    published: list[Delivery] = field(default_factory=list)

    async def publish(self, delivery: Delivery) -> None:
        self.published.append(delivery)


def dispatcher(
    store: MemoryStore,
    sender: ScriptedSender,
    clock: Clock,
    targets: Mapping[str, Target | Unreachable | NeedsReport] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    **policy: object,
) -> tuple[Dispatcher, Outcomes]:
    outcomes = Outcomes()
    settings = {
        "max_attempts": 4,
        "backoff_base_s": 2.0,
        "backoff_max_s": 60.0,
        "breaker_threshold": 5,
        "breaker_reset_s": 30.0,
        "rate_limits": {"sms": 1000.0},
        "rate_burst": 1000.0,
        **policy,
    }
    d = Dispatcher(
        store,
        FixedTargets(targets or {}),
        {"sms": sender},
        outcomes,
        DeliveryMetrics(ServiceMetrics("notifier")),
        Policy(**settings),  # type: ignore[arg-type]
        clock=clock.mono,
        now=clock.now,
        jitter=lambda: 0.0,
        sleep=sleep,
    )
    return d, outcomes


async def test_transient_failures_are_retried_with_backoff_and_sent_once() -> None:
    store, clock = MemoryStore(), Clock()
    store.add("a")
    sender = ScriptedSender([Transient("http 503"), Transient("http 503")])
    d, outcomes = dispatcher(store, sender, clock)
    await d.step()
    assert (store.get("a").status, store.get("a").attempts) == ("pending", 1)
    assert store.rows["a"].next_at == clock.now() + timedelta(seconds=1)  # 2 s · ½ (no jitter)
    assert await d.step() == 0  # not due yet
    clock.advance(1)
    await d.step()
    assert store.rows["a"].next_at == clock.now() + timedelta(seconds=2)
    clock.advance(2)
    await d.step()
    assert (store.get("a").status, store.get("a").attempts) == ("sent", 3)
    assert [m.key for _, m in sender.sent] == ["a"]
    assert [(o.id, o.outcome, o.attempts) for o in outcomes.published] == [("a", "sent", 3)]
    await d.step()
    assert len(outcomes.published) == 1 and sender.calls == 3


async def test_a_permanent_failure_is_final_at_once() -> None:
    store, clock = MemoryStore(), Clock()
    store.add("a")
    sender = ScriptedSender(always=Permanent("http 400"))
    d, outcomes = dispatcher(store, sender, clock)
    await d.step()
    clock.advance(100)
    await d.step()
    assert (store.get("a").status, store.get("a").error, sender.calls) == ("failed", "http 400", 1)
    assert [o.outcome for o in outcomes.published] == ["failed"]


async def test_the_last_transient_failure_gives_up() -> None:
    store, clock = MemoryStore(), Clock()
    store.add("a")
    sender = ScriptedSender(always=Transient("timeout"))
    d, outcomes = dispatcher(store, sender, clock, max_attempts=3)
    for _ in range(6):
        await d.step()
        clock.advance(60)
    assert (store.get("a").status, store.get("a").attempts, sender.calls) == ("gave_up", 3, 3)
    assert [(o.outcome, o.error) for o in outcomes.published] == [("gave_up", "timeout")]


async def test_an_open_breaker_postpones_without_counting_attempts_then_lets_one_trial() -> None:
    store, clock = MemoryStore(), Clock()
    for key in "abc":
        store.add(key)
    sender = ScriptedSender(always=Transient("http 503"))
    d, _ = dispatcher(store, sender, clock, breaker_threshold=3, max_attempts=10)
    await d.step()  # three failures: the breaker opens
    assert sender.calls == 3
    clock.advance(5)  # retries are due (backoff 1 s), the breaker is open for 30 s
    await d.step()
    assert sender.calls == 3
    assert {store.get(k).attempts for k in "abc"} == {1}
    assert {store.rows[k].waiting_for for k in "abc"} == {"circuit_open"}
    clock.advance(30)
    sender.always = None
    await d.step()  # one trial; it succeeds and closes the breaker
    assert sender.calls == 4
    clock.advance(30)
    await d.step()
    assert sorted(store.get(k).status for k in "abc") == ["sent", "sent", "sent"]
    assert sorted(store.get(k).attempts for k in "abc") == [2, 2, 2]


async def test_the_rate_limit_postpones_without_counting_attempts() -> None:
    store, clock = MemoryStore(), Clock()
    for key in "abc":
        store.add(key)
    sender = ScriptedSender()
    d, _ = dispatcher(store, sender, clock, rate_limits={"sms": 1.0}, rate_burst=1.0)
    await d.step()
    assert [m.key for _, m in sender.sent] == ["a"]
    assert [store.get(k).attempts for k in "bc"] == [0, 0]
    assert {store.rows[k].waiting_for for k in "bc"} == {"rate_limit"}
    for _ in range(2):
        clock.advance(1)
        await d.step()
    assert sorted(m.key for _, m in sender.sent) == ["a", "b", "c"]


async def test_a_short_rate_limit_wait_is_waited_out_not_written_back() -> None:
    store, clock = MemoryStore(), Clock()
    for key in "abcd":
        store.add(key)
    sender = ScriptedSender()
    waited: list[float] = []

    async def sleep(seconds: float) -> None:  # the hand clock stands still: all ask at once
        waited.append(seconds)
        await asyncio.sleep(0)

    limits = {"rate_limits": {"sms": 4.0}, "rate_burst": 1.0, "hold_s": 0.5}
    d, _ = dispatcher(store, sender, clock, sleep=sleep, **limits)
    await d.step()
    # a at once, b and c queued behind it 0.25 s apart; d's turn is further than 0.5 s away
    assert sorted(m.key for _, m in sender.sent) == ["a", "b", "c"]
    assert sorted(waited) == [0.25, 0.5]
    assert (store.get("d").attempts, store.rows["d"].waiting_for) == (0, "rate_limit")


async def test_a_claim_left_by_a_crash_is_unknown_and_never_sent() -> None:
    store, clock = MemoryStore(), Clock()
    store.add("a", status="sending", attempts=1)
    store.rows["a"].sending_at, store.rows["a"].claim = T0, "dead-process"
    sender = ScriptedSender()
    d, outcomes = dispatcher(store, sender, clock, lost_after_s=300.0)
    await d.step()
    assert store.get("a").status == "sending"  # maybe still in flight elsewhere
    clock.advance(301)
    await d.step()
    assert (store.get("a").status, sender.calls) == ("unknown", 0)
    assert [(o.outcome, o.attempts) for o in outcomes.published] == [("failed", 1)]


async def test_lost_claims_are_looked_for_ten_times_per_lost_after_not_every_step() -> None:
    store, clock = MemoryStore(), Clock()
    d, _ = dispatcher(store, ScriptedSender(), clock, lost_after_s=300.0)
    for _ in range(3):
        await d.step()
    assert store.lost_scans == 1
    clock.advance(29)
    await d.step()
    assert store.lost_scans == 1
    clock.advance(1)
    await d.step()
    assert store.lost_scans == 2


async def test_nobody_to_send_to_is_recorded_and_waiting_for_the_report_is_not() -> None:
    store, clock = MemoryStore(), Clock()
    store.add("a")
    store.add("b")
    targets = {"a": Unreachable("no_contact"), "b": NeedsReport()}
    sender = ScriptedSender()
    d, outcomes = dispatcher(store, sender, clock, targets)
    await d.step()
    assert (store.get("a").status, store.get("a").error, store.get("a").attempts) == (
        "failed",
        "no_contact",
        0,
    )
    assert (store.get("b").status, store.rows["b"].waiting_for) == ("pending", "report_origin")
    assert sender.calls == 0 and [o.id for o in outcomes.published] == ["a"]
    assert all(store.get(k).status in (*FINAL, "pending") for k in "ab")


async def test_outcomes_the_broker_refused_are_published_again_and_the_rest_marked_once() -> None:
    store, clock = MemoryStore(), Clock()
    for key in ("a", "b", "c"):
        store.add(key)
    marks: list[list[str]] = []
    mark = store.mark_published

    async def recording(ids: Sequence[str]) -> None:
        marks.append(list(ids))
        await mark(ids)

    store.mark_published = recording  # type: ignore[method-assign]
    d, outcomes = dispatcher(store, ScriptedSender(), clock)
    refused = {"b"}
    publish = outcomes.publish

    async def flaky(delivery: Delivery) -> None:
        if delivery.id in refused:
            raise PublishFailed("broker away")
        await publish(delivery)

    outcomes.publish = flaky  # type: ignore[method-assign]
    await d.step()
    assert sorted(o.id for o in outcomes.published) == ["a", "c"]
    assert [sorted(m) for m in marks] == [["a", "c"]]  # one write for both
    refused.clear()
    await d.step()
    assert sorted(o.id for o in outcomes.published) == ["a", "b", "c"]
    assert [sorted(m) for m in marks] == [["a", "c"], ["b"]]


@pytest.mark.parametrize("failure", [Unknown("may have been sent: ReadTimeout"), None])
async def test_a_send_that_may_have_arrived_is_never_sent_again(failure: Exception | None) -> None:
    """At most once: a read timeout (or the dispatcher's own send timeout) after the request
    left is final, `unknown`, published as failed."""
    store, clock = MemoryStore(), Clock()
    store.add("a")
    sender = ScriptedSender(always=failure) if failure else SlowSender(seconds=1.0)
    d, outcomes = dispatcher(store, sender, clock, send_timeout_s=0.05)  # type: ignore[arg-type]
    for _ in range(4):
        await d.step()
        clock.advance(600)
    assert (store.get("a").status, store.get("a").attempts) == ("unknown", 1)
    assert [o.outcome for o in outcomes.published] == ["failed"]
    assert sender.calls == 1


class SlowSender:
    def __init__(self, seconds: float) -> None:
        self.seconds, self.calls = seconds, 0

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        self.calls += 1
        await asyncio.sleep(self.seconds)
