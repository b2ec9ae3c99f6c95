"""Issue 3 "Speed": locate_many/locate on random points vs PostGIS ST_Contains and geopandas."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from aduan_geo_router.adapters.boundaries import BoundaryIndex
from aduan_geo_router.adapters.grid import CELL_DEG, MIXED
from benchmarks import postgis
from benchmarks.common import Cell, status

SEED = 20240603
GOAL_BATCH = 200_000.0  # points/s, batched, one core
GOAL_P99_US = 100.0  # single-point locate
GOAL_VS_POSTGIS = 10.0  # × PostGIS queries (points) per second
CHUNKS = 4  # single-point rates: the fastest of 4 consecutive runs of calls (a noisy machine)
CODES = {"polygon": 0, "snapped": 1}  # anything else (outside_area) is 2, as in BatchPlacement
LOCATE_MANY = "index.locate_many (vectorised)"
POLYGON_PART = "bare STRtree: shapely.points + query(intersects)"
QUERY_ONLY = "bare STRtree: query(intersects) only"
LOCATE = "index.locate, one call per point"
PG_ONE = "PostGIS ST_Contains, prepared, 1 query/point"
PG_UNNEST = "PostGIS batch: unnest(arrays) JOIN, 1 query"
PG_JOIN = "PostGIS batch: JOIN a preloaded table"
SJOIN_ONE = "geopandas sjoin, 1 GeoDataFrame per point"
SJOIN_ALL = "geopandas sjoin, all points at once"


@dataclass(frozen=True)
class Sizes:
    points: int  # batch set: uniform in the mainland bbox
    latency: int  # index.locate calls, one point each
    pg_single: int  # PostGIS one-query-per-point calls
    pg_batch: int  # PostGIS set-based joins (a rate: a slice of the batch set is enough)
    sjoin_single: int  # geopandas sjoin calls, one GeoDataFrame per point
    rounds: int  # batch timings: best of


FULL = Sizes(1_000_000, 100_000, 20_000, 250_000, 2_000, 2)
QUICK = Sizes(100_000, 20_000, 5_000, 50_000, 300, 2)


@contextmanager
def one_core() -> Iterator[int]:
    """Pin this process (all its threads) to one CPU for the duration."""
    allowed = os.sched_getaffinity(0)
    cpu = max(allowed)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, allowed)


def best(fn: Callable[[], Any], rounds: int) -> tuple[float, float, Any]:
    """The best wall time of `rounds` calls, that call's CPU seconds, and the last result."""
    wall, cpu, out = float("inf"), 0.0, None
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        w, c = time.perf_counter() - w0, time.process_time() - c0
        if w < wall:
            wall, cpu = w, c
    return wall, cpu, out


def smallest(n: int, which: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Per point the smallest polygon index among its hits, -1 without any."""
    owner = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(owner, which, poly)
    owner[owner == np.iinfo(np.int64).max] = -1
    return owner


def stages(
    index: BoundaryIndex, lats: np.ndarray, lons: np.ndarray
) -> tuple[list[list[Cell]], ...]:
    """locate_many's steps timed one by one, and the same points without the cell grid."""
    clock, n = time.perf_counter, len(lats)
    t0 = clock()
    cells = index._grid.lookup_many(lats, lons)
    t1 = clock()
    mixed = np.flatnonzero(cells == MIXED)
    index._locate_exact(lats[mixed], lons[mixed])
    t2 = clock()
    no_grid_owner, no_grid_method, _ = index._locate_exact(lats, lons)
    t3 = clock()
    batch = index.locate_many(lats, lons)
    same = int(((batch.owner == no_grid_owner) & (batch.method == no_grid_method)).sum())
    grid_s, exact_s, no_grid_s = t1 - t0, t2 - t1, t3 - t2
    total = grid_s + exact_s
    stats = index._grid.stats()
    rows: list[list[Cell]] = [
        [
            f"cell grid lookup ({stats['cells']:,} cells of {CELL_DEG}°: "
            f"{stats['inside']:,} inside, {stats['mixed']:,} mixed)",
            n,
            grid_s,
            grid_s / total * 100,
        ],
        [
            "mixed cells: bbox STRtree + intersects_xy, snap zone, dwithin snapping",
            len(mixed),
            exact_s,
            exact_s / total * 100,
        ],
    ]
    variants: list[list[Cell]] = [
        [
            "exact path for every point (no cell grid)",
            "grid + exact for mixed",
            no_grid_s,
            total,
            f"{same:,}/{n:,} same; grid {no_grid_s / total:.1f}× faster",
        ],
    ]
    return rows, variants


def best_chunk(nanos: np.ndarray, chunks: int = CHUNKS) -> tuple[int, float]:
    """(calls, seconds) of the fastest of `chunks` consecutive equal runs of timed calls."""
    parts = np.array_split(nanos, chunks)
    fastest = min(parts, key=lambda p: float(p.sum()) / max(1, len(p)))
    return len(fastest), float(fastest.sum()) / 1e9


def latency(index: BoundaryIndex, lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, ...]:
    """index.locate once per point, each call timed with perf_counter_ns; (ns, owner, method)."""
    row = {k.kode: i for i, k in enumerate(index.kelurahan)}
    la, lo, n = lats.tolist(), lons.tolist(), len(lats)
    for j in range(min(500, n)):  # warm-up
        index.locate(la[j], lo[j])
    nanos = np.empty(n, dtype=np.int64)
    owner, method = np.full(n, -1, dtype=np.int64), np.full(n, 2, dtype=np.int8)
    clock = time.perf_counter_ns
    for j in range(n):
        t0 = clock()
        placed = index.locate(la[j], lo[j])
        nanos[j] = clock() - t0
        if placed.kelurahan is not None:
            owner[j] = row[placed.kelurahan.kode]
        method[j] = CODES.get(placed.method, 2)
    return nanos, owner, method


def sjoin_single(polys: gpd.GeoDataFrame, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Naive: one GeoDataFrame and one `sjoin(predicate='within')` per point."""
    owner = np.full(len(lats), -1, dtype=np.int64)
    for j, (lat, lon) in enumerate(zip(lats.tolist(), lons.tolist(), strict=True)):
        point = gpd.GeoDataFrame(geometry=[shapely.Point(lon, lat)], crs=polys.crs)
        hits = gpd.sjoin(point, polys, predicate="within")["index_right"]
        owner[j] = int(hits.min()) if len(hits) else -1
    return owner


def sjoin_bulk(polys: gpd.GeoDataFrame, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """All points in one GeoDataFrame and one `sjoin(predicate='within')`."""
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs=polys.crs)
    joined = gpd.sjoin(frame, polys, predicate="within")
    return smallest(len(lats), joined.index.to_numpy(), joined["index_right"].to_numpy())


def latency_row(label: str, nanos: np.ndarray) -> list[Cell]:
    """label, n, p50, p99, p99.9, max and mean in µs."""
    if not len(nanos):
        return [label, 0, None, None, None, None, None]
    p50, p99, p999 = (float(v) / 1e3 for v in np.percentile(nanos, [50, 99, 99.9]))
    return [label, len(nanos), p50, p99, p999, float(nanos.max()) / 1e3, float(nanos.mean()) / 1e3]


def agree(ours: np.ndarray, theirs: np.ndarray) -> tuple[int, int, int]:
    """(same, differ, polygon hits of ours) over the points both answered."""
    same = int((ours == theirs).sum())
    return same, len(ours) - same, int((ours >= 0).sum())


@dataclass
class SpeedRun:
    """Everything one run measured, for the report."""

    sizes: Sizes
    box: list[float]
    cpu: int = -1  # the CPU the in-process measurements were pinned to
    rates: dict[str, tuple[int, float]] = field(default_factory=dict)  # name: (points, seconds)
    batch_cpu_s: float = 0.0  # CPU seconds of the best locate_many call
    nanos: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    methods: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int8))
    pg_nanos: np.ndarray | None = None
    stage_rows: list[list[Cell]] = field(default_factory=list)
    variants: list[list[Cell]] = field(default_factory=list)
    checks: list[tuple[str, int, int, int]] = field(default_factory=list)
    pg: dict[str, Any] | None = None
    pg_error: str | None = None

    def per_second(self, name: str) -> float | None:
        if name not in self.rates:
            return None
        points, seconds = self.rates[name]
        return points / seconds


def measure(index: BoundaryIndex, quick: bool) -> SpeedRun:
    """Run every measurement of the section on one fixed-seed point set."""
    sizes = QUICK if quick else FULL
    frame = index.frame
    box = frame[frame["kota"] != "Kepulauan Seribu"].total_bounds
    run = SpeedRun(sizes, np.round(box, 4).tolist())
    rng = np.random.default_rng(SEED)
    lons = rng.uniform(box[0], box[2], sizes.points)
    lats = rng.uniform(box[1], box[3], sizes.points)
    polys = frame[["geometry"]].reset_index(drop=True)
    n, m, rounds = sizes.points, sizes.sjoin_single, sizes.rounds
    with one_core() as run.cpu:
        status(f"geo speed: locate_many on {n:,} points, best of {rounds}")
        wall, run.batch_cpu_s, batch = best(lambda: index.locate_many(lats, lons), rounds)
        run.rates[LOCATE_MANY] = (n, wall)
        tree = shapely.STRtree(frame.geometry.to_numpy())
        points = shapely.points(lons, lats)
        both, _, _ = best(lambda: tree.query(shapely.points(lons, lats), "intersects"), rounds)
        run.rates[POLYGON_PART] = (n, both)
        run.rates[QUERY_ONLY] = (n, best(lambda: tree.query(points, "intersects"), rounds)[0])
        status("geo speed: locate_many step by step")
        run.stage_rows, run.variants = stages(index, lats, lons)
        status(f"geo speed: {sizes.latency:,} index.locate calls")
        k = sizes.latency
        run.nanos, one_owner, run.methods = latency(index, lats[:k], lons[:k])
        run.rates[LOCATE] = best_chunk(run.nanos)
        status(f"geo speed: geopandas sjoin, {m:,} single points and {n:,} at once")
        began = time.perf_counter()
        sj_one = sjoin_single(polys, lats[:m], lons[:m])
        run.rates[SJOIN_ONE] = (m, time.perf_counter() - began)
        sj_s, _, sj_all = best(lambda: sjoin_bulk(polys, lats, lons), 1)
        run.rates[SJOIN_ALL] = (n, sj_s)
    hits = np.where(batch.method == 0, batch.owner, -1)  # polygon hits: what all can answer
    same = (batch.owner[:k] == one_owner) & (batch.method[:k] == run.methods)
    ok, k_hits = int(same.sum()), int((run.methods == 0).sum())
    run.checks = [
        ("index.locate vs locate_many: owner & method", ok, k - ok, k_hits),
        ("locate_many vs geopandas sjoin, all at once", *agree(hits, sj_all)),
        ("locate_many vs geopandas sjoin, per point", *agree(hits[:m], sj_one)),
    ]
    status(f"geo speed: PostGIS, {sizes.pg_single:,} single points, {sizes.pg_batch:,} in a batch")
    wkb = shapely.to_wkb(frame.geometry.to_numpy()).tolist()
    nb = sizes.pg_batch
    result = postgis.run(wkb, lons[:nb], lats[:nb], sizes.pg_single)
    if isinstance(result, str):
        run.pg_error = result
        return run
    run.pg = result
    run.pg_nanos = np.array(result["single"]["nanos"], dtype=np.int64)
    run.rates[PG_ONE] = best_chunk(run.pg_nanos)
    run.rates[PG_UNNEST] = (nb, result["unnest"]["seconds"])
    run.rates[PG_JOIN] = (nb, result["join"]["seconds"])
    for key, label in (("single", PG_ONE), ("unnest", PG_UNNEST), ("join", PG_JOIN)):
        theirs = np.array(result[key]["owners"], dtype=np.int64)
        run.checks.append((f"locate_many vs {label}", *agree(hits[: len(theirs)], theirs)))
    return run
