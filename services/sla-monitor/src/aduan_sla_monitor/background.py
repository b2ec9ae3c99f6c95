"""The scan loop, run while the broker runs (started after it connected, stopped before it
disconnects, so no scan meets a closed producer)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from aduan_shared.logging import get_logger
from fastapi import FastAPI

log = get_logger(__name__)


class Runner(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Periodic:
    """Runs `step` now and then every `interval_s`; a failing step is logged and retried."""

    def __init__(self, name: str, step: Callable[[], Awaitable[object]], interval_s: float) -> None:
        self.name = name
        self._step = step
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except Exception as exc:  # the database may be away for a while: keep going
                log.warning("background_step_failed", loop=self.name, error=repr(exc))
            await asyncio.sleep(self._interval_s)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def run_with_broker(app: FastAPI, runners: Sequence[Runner]) -> None:
    """Run `runners` inside the app's lifespan, after the broker started (ServiceParts' hooks
    run before the broker starts and after it stopped, hence this wrapper)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            started: list[Runner] = []
            try:
                for runner in runners:
                    await runner.start()
                    started.append(runner)
                yield
            finally:
                for runner in reversed(started):
                    await runner.stop()

    app.router.lifespan_context = lifespan
