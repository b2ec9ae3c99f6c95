"""Retry backoff, a circuit breaker and a rate limiter per channel (pure: time is passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field


def backoff_delay(attempt: int, base_s: float, cap_s: float, jitter: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...).

    Exponential (`base_s`·2^(attempt-1), at most `cap_s`) with "equal jitter": half of it fixed,
    half scaled by `jitter` in [0, 1], so retries of many deliveries spread out but never come
    back at once. Raises ValueError for an attempt below 1 or a jitter outside [0, 1].
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError("jitter must be within [0, 1]")
    ceiling = min(cap_s, base_s * 2 ** (attempt - 1))
    return ceiling / 2 + ceiling / 2 * jitter


@dataclass
class CircuitBreaker:
    """Stops sending to a channel after `threshold` consecutive failures, for `reset_s`.

    Closed: everything passes. Open: nothing passes until `reset_s` have gone by. Half-open:
    one trial passes; its success closes the breaker, its failure opens it again. A trial that
    never reports (its task died) is replaced by another after `reset_s`.
    """

    threshold: int = 5
    reset_s: float = 60.0
    failures: int = 0
    opened_at: float | None = None
    trial_out: bool = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.trial_out else "open"

    def wait(self, now: float) -> float:
        """0 if a send may go now (taking the half-open trial), else the seconds to wait."""
        if self.opened_at is None:
            return 0.0
        reopen = self.opened_at + self.reset_s
        if now < reopen:  # open, or a trial is out: the others wait for its outcome
            return reopen - now
        self.trial_out, self.opened_at = True, now
        return 0.0

    def success(self) -> None:
        self.failures, self.opened_at, self.trial_out = 0, None, False

    def failure(self, now: float) -> None:
        self.failures += 1
        if self.trial_out or self.failures >= self.threshold:
            self.opened_at, self.trial_out = now, False


@dataclass
class RateLimiter:
    """A token bucket: `rate` sends a second on average, bursts up to `burst`."""

    rate: float
    burst: float = 1.0
    tokens: float = field(default=-1.0)
    at: float | None = None

    def wait(self, now: float) -> float:
        """0 if a send may go now (spending a token), else the seconds until one is free."""
        taken, delay = self.reserve(now, within=0.0)
        return 0.0 if taken else delay

    def reserve(self, now: float, within: float) -> tuple[bool, float]:
        """Spend the next token if it is free now or within `within` seconds (the bucket lends
        ahead, so concurrent callers queue one behind the other): (True, seconds to wait before
        sending). Else nothing is spent: (False, seconds until a token is free)."""
        if self.at is None:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        delay = max(0.0, (1.0 - self.tokens) / self.rate)
        if delay > within:
            return False, delay
        self.tokens -= 1.0
        return True, delay
