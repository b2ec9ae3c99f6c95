"""Token buckets with a fake clock."""

from aduan_intake.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=0.5, burst=3, clock=clock)
    assert [limiter.allow("ip:1") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.allow("ip:1")
    assert wait == 2.0  # one token every 2 s
    clock.now += 2.0
    assert limiter.allow("ip:1") == 0.0
    assert limiter.allow("ip:1") > 0


def test_keys_are_independent_and_bounded() -> None:
    limiter = RateLimiter(rate=1, burst=1, clock=Clock(), max_keys=2)
    assert limiter.allow("a") == 0.0 and limiter.allow("b") == 0.0
    assert limiter.allow("a") > 0
    limiter.allow("c")  # evicts the least recently used ("b")
    assert limiter.allow("b") == 0.0
