"""The response cache: one computation per key and interval, even under a burst."""

from __future__ import annotations

import asyncio

from aduan_analytics.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


async def test_a_burst_of_misses_computes_once() -> None:
    clock = Clock()
    cache: TtlCache[int] = TtlCache(10, clock=clock)
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    results = await asyncio.gather(*(cache.get("k", compute) for _ in range(50)))
    assert results == [1] * 50 and calls == 1
    assert (cache.misses, cache.hits) == (1, 49)


async def test_entries_expire_and_the_oldest_are_evicted() -> None:
    clock = Clock()
    cache: TtlCache[str] = TtlCache(10, max_entries=2, clock=clock)

    async def value(v: str) -> str:
        return v

    assert await cache.get("a", lambda: value("a1")) == "a1"
    clock.t = 9.9
    assert await cache.get("a", lambda: value("a2")) == "a1"
    clock.t = 10.0
    assert await cache.get("a", lambda: value("a3")) == "a3"
    await cache.get("b", lambda: value("b"))
    await cache.get("c", lambda: value("c"))
    assert await cache.get("a", lambda: value("a4")) == "a4"  # evicted as the oldest
