"""Backoff, circuit breaker and rate limiter with plain numbers for time."""

import pytest
from aduan_notifier.resilience import CircuitBreaker, RateLimiter, backoff_delay


def test_backoff_doubles_up_to_the_cap_with_half_of_it_jittered() -> None:
    assert [backoff_delay(n, 2.0, 60.0, 0.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert [backoff_delay(n, 2.0, 60.0, 1.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert backoff_delay(10, 2.0, 60.0, 1.0) == 60.0
    assert backoff_delay(10, 2.0, 60.0, 0.5) == 45.0
    with pytest.raises(ValueError):
        backoff_delay(0, 2.0, 60.0, 0.5)
    with pytest.raises(ValueError):
        backoff_delay(1, 2.0, 60.0, 1.5)


def test_breaker_opens_after_consecutive_failures_and_lets_one_trial_through() -> None:
    b = CircuitBreaker(threshold=3, reset_s=10.0)
    for t in (0.0, 1.0):
        assert b.wait(t) == 0.0
        b.failure(t)
    b.success()  # a success in between resets the count
    for t in (2.0, 3.0, 4.0):
        assert b.wait(t) == 0.0
        b.failure(t)
    assert b.state == "open"
    assert b.wait(5.0) == 9.0  # closed again at 14.0
    assert b.wait(14.0) == 0.0  # the half-open trial
    assert b.state == "half_open"
    assert b.wait(14.5) == 9.5  # nobody else while the trial is out
    b.failure(15.0)  # the trial failed: open again from 15.0
    assert b.state == "open" and b.wait(20.0) == 5.0
    assert b.wait(25.0) == 0.0
    assert b.wait(35.0) == 0.0  # that trial never reported: another one after reset_s
    b.success()
    assert b.state == "closed" and b.wait(35.1) == 0.0


def test_rate_limiter_reserves_a_token_due_soon_and_queues_callers_behind_it() -> None:
    r = RateLimiter(rate=4.0, burst=1.0)
    assert r.reserve(0.0, within=0.5) == (True, 0.0)
    assert r.reserve(0.0, within=0.5) == (True, 0.25)  # lent ahead: its turn in 0.25 s
    assert r.reserve(0.0, within=0.5) == (True, 0.5)  # behind it
    assert r.reserve(0.0, within=0.5) == (False, 0.75)  # too far: nothing spent
    assert r.reserve(0.0, within=0.5) == (False, 0.75)
    assert r.reserve(0.75, within=0.0) == (True, 0.0)  # the debt is paid by then


def test_rate_limiter_allows_a_burst_then_the_rate() -> None:
    r = RateLimiter(rate=2.0, burst=3.0)
    assert [r.wait(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert r.wait(0.0) == 0.5  # the next token in half a second
    assert r.wait(0.5) == 0.0
    assert r.wait(0.5) == 0.5
    assert r.wait(10.0) == 0.0  # refilled, but never beyond the burst
    assert [r.wait(10.0) for _ in range(3)] == [0.0, 0.0, 0.5]
