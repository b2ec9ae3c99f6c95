"""Point-in-polygon: BoundaryIndex.locate (STRtree) against a naive loop over all polygons."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from aduan_geo_router.adapters.boundaries import BoundaryIndex
from benchmarks.common import (
    CITY_DIR,
    Point,
    Progress,
    heading,
    note,
    ratio,
    representative_points,
    status,
    table,
)

SEED = 20240601


@dataclass
class Timing:
    name: str
    seconds: float
    lookups: int
    results: list[str | None]

    @property
    def per_second(self) -> float:
        return self.lookups / self.seconds

    @property
    def micros(self) -> float:
        return self.seconds / self.lookups * 1e6


def random_points(bounds: Sequence[float], n: int, seed: int) -> list[Point]:
    """`n` uniform points in (minx, miny, maxx, maxy), fixed seed."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(bounds[0], bounds[2], n)
    lat = rng.uniform(bounds[1], bounds[3], n)
    return list(zip(lat.tolist(), lon.tolist(), strict=True))


def naive_locator(index: BoundaryIndex, prepared: bool) -> Callable[[float, float], str | None]:
    """First polygon (in kode order) whose `contains` is true, checking every polygon in turn."""
    geoms = shapely.from_wkb(shapely.to_wkb(index.frame.geometry.to_numpy()))  # fresh copies
    if prepared:
        shapely.prepare(geoms)
    polygons = list(zip([k.kode for k in index.kelurahan], geoms, strict=True))

    def locate(lat: float, lon: float) -> str | None:
        point = shapely.Point(lon, lat)
        for kode, polygon in polygons:
            if polygon.contains(point):
                return kode
        return None

    return locate


def run(
    name: str, locate: Callable[[float, float], str | None], points: list[Point], rounds: int
) -> Timing:
    """Call `locate` on every point `rounds` times; keep the results of the first round."""
    results = [locate(lat, lon) for lat, lon in points[: min(50, len(points))]]  # warm-up
    progress = Progress(name, rounds * len(points))
    began = time.perf_counter()
    for r in range(rounds):
        out = []
        for lat, lon in points:
            out.append(locate(lat, lon))
        progress.update(len(points))
        if r == 0:
            results = out
    seconds = time.perf_counter() - began
    progress.close()
    return Timing(name, seconds, rounds * len(points), results)


def strtree_locator(index: BoundaryIndex) -> Callable[[float, float], str | None]:
    """index.locate, reduced to the kode of a polygon hit (None when snapped or outside)."""

    def locate(lat: float, lon: float) -> str | None:
        placement = index.locate(lat, lon)
        return (
            placement.kelurahan.kode
            if placement.method == "polygon" and placement.kelurahan
            else None
        )

    return locate


def bare_tree_locator(index: BoundaryIndex) -> Callable[[float, float], str | None]:
    """Only the STRtree query and the smallest-code pick, without Placement or snapping."""
    geoms = index.frame.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    codes = [k.kode for k in index.kelurahan]

    def locate(lat: float, lon: float) -> str | None:
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        return codes[int(hits.min())] if len(hits) else None

    return locate


def bulk_tree(index: BoundaryIndex, points: list[Point], rounds: int) -> Timing:
    """All points in one vectorised STRtree.query call (what a batch consumer could do)."""
    tree = shapely.STRtree(index.frame.geometry.to_numpy())
    codes = [k.kode for k in index.kelurahan]
    began = time.perf_counter()
    for _ in range(rounds):
        arr = shapely.points([lon for _, lon in points], [lat for lat, _ in points])
        which, poly = tree.query(arr, predicate="intersects")
        first = np.full(len(points), len(codes), dtype=np.int64)
        np.minimum.at(first, which, poly)
    seconds = time.perf_counter() - began
    results = [codes[i] if i < len(codes) else None for i in first.tolist()]
    return Timing("bulk STRtree query", seconds, rounds * len(points), results)


def methods(index: BoundaryIndex, points: list[Point]) -> str:
    counts: dict[str, int] = {}
    for lat, lon in points:
        method = index.locate(lat, lon).method
        counts[method] = counts.get(method, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def main(quick: bool) -> None:
    heading("1. geo: point-in-polygon — BoundaryIndex.locate (STRtree) vs naive loop")
    began = time.perf_counter()
    index = BoundaryIndex.load(CITY_DIR)
    note(
        f"loaded {len(index.kelurahan)} kelurahan in {time.perf_counter() - began:.2f}s "
        f"from {CITY_DIR}"
    )
    rep, rep_kode = representative_points()
    frame = index.frame
    mainland = frame[frame["kota"] != "Kepulauan Seribu"].total_bounds
    n = 300 if quick else 20_000
    sets = [
        ("267 representative points", rep, 1 if quick else 40),
        (f"{n:,} random, mainland bbox", random_points(mainland, n, SEED), 1),
        (f"{n // 2:,} random, full city bbox", random_points(frame.total_bounds, n // 2, SEED), 1),
    ]
    note(
        f"mainland bbox (lon/lat) {np.round(mainland, 4).tolist()}; full bbox includes the "
        f"Kepulauan Seribu islands {np.round(frame.total_bounds, 4).tolist()}, mostly sea"
    )
    rows = []
    agreement = []
    fast, bare = strtree_locator(index), bare_tree_locator(index)
    naive_prep, naive_raw = naive_locator(index, True), naive_locator(index, False)
    for label, points, rounds in sets:
        status(f"geo: {label}")
        raw = run("naive unprepared", naive_raw, points, rounds)
        prep = run("naive prepared", naive_prep, points, rounds)
        tree = run("index.locate", fast, points, rounds * 4)
        timings = [
            raw,
            prep,
            tree,
            run("bare STRtree query", bare, points, rounds * 4),
            bulk_tree(index, points, rounds * 4),
        ]
        for t in timings:
            rows.append(
                [
                    label if t is raw else "",
                    t.name,
                    t.lookups,
                    t.per_second,
                    t.micros,
                    ratio(t.per_second, raw.per_second),
                ]
            )
        same = [sum(a == b for a, b in zip(tree.results, t.results, strict=True)) for t in timings]
        agreement.append(
            [label, len(points), same[0], same[1], same[3], same[4], methods(index, points)]
        )
    table(
        "lookups over the same points (locate = index.locate incl. snapping to the nearest "
        "kelurahan ≤200 m when no polygon contains the point)",
        ["point set", "method", "lookups", "lookups/s", "µs/lookup", "vs naive unprep."],
        rows,
    )
    table(
        "agreement with index.locate (its polygon hit; none when snapped/outside): same answer",
        [
            "point set",
            "points",
            "naive unprep.",
            "naive prep.",
            "bare tree",
            "bulk tree",
            "index.locate placements",
        ],
        agreement,
    )
    same_as_csv = sum(fast(lat, lon) == k for (lat, lon), k in zip(rep, rep_kode, strict=True))
    note(
        f"representative points placed in their own kelurahan (kode of the csv row): "
        f"{same_as_csv}/{len(rep)}"
    )
