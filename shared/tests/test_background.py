"""Background loops: a step may ask to run again before the interval is over."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aduan_shared.background import Periodic


@dataclass
class Result:
    next_in_s: float | None


async def test_a_step_asking_to_run_sooner_runs_again_before_the_interval() -> None:
    calls: list[float | None] = []
    again = asyncio.Event()

    async def step() -> Result:
        calls.append(None)
        if len(calls) == 2:
            again.set()
        return Result(next_in_s=0.0 if len(calls) == 1 else None)

    loop = Periodic("test", step, interval_s=3600)
    await loop.start()
    try:
        await asyncio.wait_for(again.wait(), timeout=10)  # not an hour: the step asked
    finally:
        await loop.stop()
    assert len(calls) == 2


async def test_a_failing_step_is_retried() -> None:
    calls = 0
    twice = asyncio.Event()

    async def step() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            twice.set()
        raise RuntimeError("database away")

    loop = Periodic("test", step, interval_s=0.01)
    await loop.start()
    try:
        await asyncio.wait_for(twice.wait(), timeout=10)
    finally:
        await loop.stop()
    assert calls >= 2
