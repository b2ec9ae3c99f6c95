"""Point-in-polygon: BoundaryIndex against a naive loop, PostGIS and geopandas (issue 3 goals)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from aduan_geo_router.adapters.boundaries import BoundaryIndex
from benchmarks import geo_speed as gs
from benchmarks.common import (
    CITY_DIR,
    Cell,
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
    versus_naive(index, quick)
    sizes = gs.QUICK if quick else gs.FULL
    heading(f"1b. geo speed (issue 3): {sizes.points:,} random points, vs PostGIS and geopandas")
    report_speed(gs.measure(index, quick))


def versus_naive(index: BoundaryIndex, quick: bool) -> None:
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
    rows: list[list[Cell]] = []
    agreement: list[list[Cell]] = []
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


def report_speed(run: gs.SpeedRun) -> None:
    """The issue-3 tables: throughput, latency, locate_many's steps, agreement and the goals."""
    note(
        f"points uniform in the mainland bbox {run.box} (seed {gs.SEED}); the Kepulauan Seribu "
        "bbox is left out (almost all sea)"
    )
    pg_one = run.per_second(gs.PG_ONE)
    batches = [v for k in (gs.PG_UNNEST, gs.PG_JOIN) if (v := run.per_second(k)) is not None]
    pg_batch = max(batches, default=None)
    wall = run.rates[gs.LOCATE_MANY][1]
    rows: list[list[Cell]] = [
        [name, n, s, n / s, s / n * 1e6, ratio(n / s, pg_one), ratio(n / s, pg_batch)]
        for name, (n, s) in run.rates.items()
    ]
    table(
        f"throughput: in-process rows pinned to CPU {run.cpu} (locate_many: {run.batch_cpu_s:.2f} "
        f"CPU-s in {wall:.2f}s wall, best of {run.sizes.rounds}); PostGIS: one backend, "
        f"parallel query off; single-point rows: the fastest of {gs.CHUNKS} consecutive runs",
        ["method", "points", "seconds", "points/s", "µs/point", "vs PG 1/query", "vs PG batch"],
        rows,
    )
    lat = [gs.latency_row("index.locate, all points", run.nanos)]
    for code, label in enumerate(("polygon hit", "snapped", "outside")):
        lat.append(gs.latency_row(f"  index.locate, {label}", run.nanos[run.methods == code]))
    if run.pg_nanos is not None:
        lat.append(gs.latency_row(gs.PG_ONE, run.pg_nanos))
    table(
        "single-point latency, µs (perf_counter_ns around each call; PostGIS incl. round trip)",
        ["calls", "n", "p50", "p99", "p99.9", "max", "mean"],
        lat,
    )
    table(
        f"where locate_many's time goes ({run.sizes.points:,} points, its steps re-run one by one)",
        ["step", "points", "seconds", "% of steps"],
        run.stage_rows,
    )
    table(
        "the cell grid's effect, measured on the same points",
        ["variant", "replaces", "was s", "now s", "same answers / effect"],
        run.variants,
    )
    table(
        "agreement: kelurahan of the polygon hits (-1 when none: PostGIS and sjoin do not snap)",
        ["comparison", "points", "same", "differ", "polygon hits"],
        [[c, a + b, a, b, h] for c, a, b, h in run.checks],
    )
    if run.pg is None:
        note(f"PostGIS NOT measured: {run.pg_error}")
    else:
        pg = run.pg
        note(
            f"{pg['version']}: throw-away cluster started in "
            f"{pg['started_s']:.1f}s, 267 polygons + GiST in {pg['setup_s']:.1f}s; batch table "
            f"built in {pg['load_s']:.1f}s (not in the JOIN row). JOIN plan: {pg['join_plan']}"
        )
    goals(run, pg_one, pg_batch)


def goals(run: gs.SpeedRun, pg_one: float | None, pg_batch: float | None) -> None:
    batch, one = run.per_second(gs.LOCATE_MANY), run.per_second(gs.LOCATE)
    p99 = float(np.percentile(run.nanos, 99)) / 1e3
    vs_one = one / pg_one if one and pg_one else None
    vs_batch = batch / pg_batch if batch and pg_batch else None
    rows: list[list[Cell]] = []
    for goal, target, value, unit, higher in (
        ("batched, one core (locate_many)", gs.GOAL_BATCH, batch, "points/s", True),
        ("single-point p99 (locate)", gs.GOAL_P99_US, p99, "µs", False),
        ("locate qps / PostGIS 1-query qps", gs.GOAL_VS_POSTGIS, vs_one, "×", True),
        ("locate_many / best PostGIS batch", gs.GOAL_VS_POSTGIS, vs_batch, "×", True),
    ):
        wanted = f"{'≥' if higher else '<'} {target:,.0f} {unit}"
        if value is None:
            rows.append([goal, wanted, None, None, "not measured"])
            continue
        met = value >= target if higher else value < target
        margin = ratio(value, target) if higher else ratio(target, value)
        rows.append([goal, wanted, value, margin, "met" if met else "NOT met"])
    table("goals (issue 3)", ["goal", "target", "measured", "margin", "verdict"], rows)
    if batch is not None and batch < gs.GOAL_BATCH and run.stage_rows:
        top = max(run.stage_rows, key=lambda r: float(r[3] or 0))
        note(f"locate_many misses the batch goal; largest step: {top[0]} ({top[3]:.0f}%)")
