"""Duplicates and recurrences near a new report (pure)."""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from aduan_geo_router.history import (
    Neighbour,
    cell_key,
    cell_keys_around,
    distance_m,
    match_history,
)
from aduan_shared.cityconfig import Window

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LAT, LON = -6.2424, 106.8253
DUP, REC = Window(distance_m=50, days=14), Window(distance_m=50, days=30)
NORTH_30M = LAT + 30 / 111_320  # ~30 m north
NORTH_70M = LAT + 70 / 111_320


def near(
    report_id: str,
    lat: float = NORTH_30M,
    *,
    days_ago: float = 1,
    state: str = "open",
    finished_days_ago: float | None = None,
) -> Neighbour:
    finished = NOW - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return Neighbour(
        report_id,
        lat,
        LON,
        NOW - timedelta(days=days_ago),
        state,  # type: ignore[arg-type]
        finished,
    )


def test_distance_is_in_metres() -> None:
    assert abs(distance_m(LAT, LON, NORTH_30M, LON) - 30) < 0.5


def test_open_report_nearby_is_a_possible_duplicate() -> None:
    m = match_history(LAT, LON, NOW, [near("a")], DUP, REC)
    assert (m.possible_duplicate_of, m.recurrence_of) == ("a", None)


def test_too_far_or_too_old_is_not_a_duplicate() -> None:
    assert (
        match_history(LAT, LON, NOW, [near("far", NORTH_70M)], DUP, REC).possible_duplicate_of
        is None
    )
    assert (
        match_history(LAT, LON, NOW, [near("old", days_ago=15)], DUP, REC).possible_duplicate_of
        is None
    )


def test_nearest_then_earliest_wins() -> None:
    m = match_history(
        LAT,
        LON,
        NOW,
        [near("b", days_ago=2), near("a", days_ago=3), near("c", LAT + 10 / 111_320, days_ago=1)],
        DUP,
        REC,
    )
    assert m.possible_duplicate_of == "c"
    tie = match_history(
        LAT, LON, NOW, [near("late", days_ago=1), near("early", days_ago=5)], DUP, REC
    )
    assert tie.possible_duplicate_of == "early"


def test_finished_within_30_days_is_a_recurrence() -> None:
    done = near("fixed", days_ago=40, state="done", finished_days_ago=20)
    m = match_history(LAT, LON, NOW, [done], DUP, REC)
    assert (m.possible_duplicate_of, m.recurrence_of) == (None, "fixed")
    stale = near("long-ago", days_ago=60, state="done", finished_days_ago=31)
    assert match_history(LAT, LON, NOW, [stale], DUP, REC).recurrence_of is None


def test_rejected_reports_are_neither() -> None:
    m = match_history(LAT, LON, NOW, [near("spam", state="rejected")], DUP, REC)
    assert m == type(m)()


def test_windows_are_configurable() -> None:
    wide = Window(distance_m=100, days=60)
    m = match_history(LAT, LON, NOW, [near("far", NORTH_70M, days_ago=40)], wide, REC)
    assert m.possible_duplicate_of == "far"


@pytest.mark.parametrize("radius", [10.0, 50.0, 120.0])
def test_cell_keys_around_cover_every_point_within_the_radius(radius: float) -> None:
    rng = random.Random(radius)
    for _ in range(2000):
        lat, lon = rng.uniform(-11, 6), rng.uniform(95, 141)  # Indonesia
        bearing, dist = rng.uniform(0, 2 * math.pi), radius * math.sqrt(rng.random())
        lat2 = lat + dist * math.cos(bearing) / 111_195
        lon2 = lon + dist * math.sin(bearing) / (111_195 * math.cos(math.radians(lat)))
        assert distance_m(lat, lon, lat2, lon2) <= radius * 1.001
        assert cell_key(lat2, lon2) in cell_keys_around(lat, lon, radius)
    assert len(cell_keys_around(-6.2, 106.8, 50)) <= 9
