"""Duplicates and recurrences (pure): which earlier report near this one it repeats."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from aduan_shared.cityconfig import Window

EARTH_RADIUS_M = 6_371_008.8
#: Neighbour lookups go by cells of this size (≈ 55 m): an equality index serves them on any
#: MongoDB-compatible server, where a geo query may scan.
CELL_DEG = 0.0005
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


@dataclass(frozen=True)
class Neighbour:
    """An earlier report of the same category near the new one."""

    report_id: str
    lat: float
    lon: float
    routed_at: datetime
    state: Literal["open", "done", "rejected"]
    finished_at: datetime | None = None


@dataclass(frozen=True)
class HistoryMatch:
    possible_duplicate_of: str | None = None
    recurrence_of: str | None = None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine); exact enough at 50 m."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def cell_key(lat: float, lon: float) -> str:
    """The key of the cell holding a point."""
    return f"{math.floor(lat / CELL_DEG)}:{math.floor(lon / CELL_DEG)}"


def cell_keys_around(lat: float, lon: float, radius_m: float) -> list[str]:
    """The keys of every cell that holds some point within `radius_m` of (lat, lon)."""
    d_lat = radius_m / _M_PER_DEG
    d_lon = radius_m / (_M_PER_DEG * max(math.cos(math.radians(abs(lat) + d_lat)), 1e-6))
    i0, i1 = math.floor((lat - d_lat) / CELL_DEG), math.floor((lat + d_lat) / CELL_DEG)
    j0, j1 = math.floor((lon - d_lon) / CELL_DEG), math.floor((lon + d_lon) / CELL_DEG)
    return [f"{i}:{j}" for i in range(i0, i1 + 1) for j in range(j0, j1 + 1)]


def match_history(
    lat: float,
    lon: float,
    now: datetime,
    neighbours: Iterable[Neighbour],
    duplicate: Window,
    recurrence: Window,
) -> HistoryMatch:
    """The nearest open report within the duplicate window (`possible_duplicate_of`) and the
    nearest report finished within the recurrence window (`recurrence_of`); ties go to the
    earlier report. Neither is dropped: they are marks for the officers."""
    open_hits: list[tuple[float, datetime, str]] = []
    done_hits: list[tuple[float, datetime, str]] = []
    for n in neighbours:
        d = distance_m(lat, lon, n.lat, n.lon)
        # Open reports routed in the window, also just after this one was submitted (two people
        # reporting the same thing at once); finished ones only before it was submitted.
        if (
            n.state == "open"
            and d <= duplicate.distance_m
            and n.routed_at >= now - timedelta(days=duplicate.days)
        ):
            open_hits.append((d, n.routed_at, n.report_id))
        if (
            n.state == "done"
            and n.finished_at is not None
            and d <= recurrence.distance_m
            and now - timedelta(days=recurrence.days) <= n.finished_at <= now
        ):
            done_hits.append((d, n.routed_at, n.report_id))
    return HistoryMatch(
        min(open_hits)[2] if open_hits else None, min(done_hits)[2] if done_hits else None
    )
