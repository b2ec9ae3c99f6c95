"""Background loops of a service (outbox sweeps, scans, gauges): `build_app` starts them after
the broker connected and stops them before it disconnects (`ServiceParts.background`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

from aduan_shared.logging import get_logger

log = get_logger(__name__)


#: The shortest pause between two steps, however soon a step asks to run again.
MIN_WAIT_S = 0.05


class Runner(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Periodic:
    """Runs `step` now and then every `interval_s`; a failing step is logged and retried.

    A step whose result has a `next_in_s` (seconds, or None) is run again sooner when that is
    less than the interval: the SLA scan uses it to wake at the next exact deadline.
    """

    def __init__(self, name: str, step: Callable[[], Awaitable[object]], interval_s: float) -> None:
        self.name = name
        self._step = step
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            wait = self._interval_s
            try:
                result = await self._step()
                sooner = getattr(result, "next_in_s", None)
                if isinstance(sooner, int | float):
                    wait = min(wait, max(float(sooner), MIN_WAIT_S))
            except Exception as exc:  # the database may be away for a while: keep going
                log.warning("background_step_failed", loop=self.name, error=repr(exc))
            await asyncio.sleep(wait)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
