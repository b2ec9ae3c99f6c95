"""A small time-to-live cache of computed responses, so a burst of public traffic costs the
database one computation per distinct query and interval.

Concurrent misses of one key wait for a single computation (no stampede); entries expire after
`ttl_s`; at most `max_entries` are kept (the oldest go first).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(
        self, ttl_s: float, max_entries: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self.hits = 0
        self.misses = 0

    def _fresh(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry[0]:
            return entry[1]
        return None

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> V:
        value = self._fresh(key)
        if value is not None:
            self.hits += 1
            return value
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            value = self._fresh(key)  # computed while this one waited
            if value is not None:
                self.hits += 1
                return value
            self.misses += 1
            value = await compute()
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                old, _ = self._entries.popitem(last=False)
                self._locks.pop(old, None)
            return value
