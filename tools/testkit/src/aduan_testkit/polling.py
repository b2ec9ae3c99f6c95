"""Waiting for what an event-driven system does eventually, with a bound and a clear failure."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class NotYet(AssertionError):
    """The condition did not hold within the time allowed."""


def eventually(probe: Callable[[], T | None], timeout: float = 45.0, every: float = 0.25) -> T:
    """Call `probe` until it returns something truthy and return that; raise NotYet (a test
    failure) with the last value after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise NotYet(f"condition not met within {timeout}s; last value: {last!r}")
