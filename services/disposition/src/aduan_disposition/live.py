"""Wake-ups for the tracking streams (SSE): local writes notify at once, a shared poll of the
followed cases' versions catches the writes of other replicas.

One poll per process and interval, whatever the number of open streams: the versions of every
followed tracking code in one indexed query. A stream waits on its `asyncio.Event`, clears it,
then reloads its case, so a notification never falls between the reload and the wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager

from aduan_shared.background import Periodic

Versions = Callable[[Sequence[str]], Awaitable[dict[str, int]]]


class LiveFeed:
    def __init__(self, versions: Versions, poll_s: float = 1.0) -> None:
        self._versions = versions
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._known: dict[str, int] = {}
        self._loop = Periodic("live-feed-poll", self.poll, poll_s)

    @property
    def watched(self) -> int:
        """Open streams."""
        return sum(len(w) for w in self._watchers.values())

    @contextmanager
    def watch(self, tracking_code: str) -> Iterator[asyncio.Event]:
        """An event set whenever the case of `tracking_code` may have changed."""
        wake = asyncio.Event()
        self._watchers.setdefault(tracking_code, set()).add(wake)
        try:
            yield wake
        finally:
            watchers = self._watchers.get(tracking_code, set())
            watchers.discard(wake)
            if not watchers:
                self._watchers.pop(tracking_code, None)
                self._known.pop(tracking_code, None)

    def notify(self, tracking_code: str) -> None:
        for wake in self._watchers.get(tracking_code, ()):
            wake.set()

    async def poll(self) -> None:
        """Wake the streams of every followed case whose version moved since the last poll."""
        codes = list(self._watchers)
        if not codes:
            return
        for code, version in (await self._versions(codes)).items():
            if self._known.get(code) != version:
                self._known[code] = version
                self.notify(code)

    async def start(self) -> None:
        await self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
