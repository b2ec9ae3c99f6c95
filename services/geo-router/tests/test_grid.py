"""The cell grid changes nothing: `locate` and `locate_many` equal a brute-force reference,
on random points and on the hard ones (exact border vertices, points next to borders, coasts)."""

from pathlib import Path

import numpy as np
import pytest
import shapely
from aduan_geo_router.adapters.boundaries import BoundaryIndex
from aduan_geo_router.adapters.grid import FAR, MIXED
from pyproj import Transformer

JAKARTA_CONFIG = Path(__file__).resolve().parents[3] / "config" / "cities" / "jakarta"
METHODS = {"polygon": 0, "snapped": 1, "none": 2}


@pytest.fixture(scope="module")
def index() -> BoundaryIndex:
    return BoundaryIndex.load(JAKARTA_CONFIG)


def reference(index: BoundaryIndex, lats: np.ndarray, lons: np.ndarray) -> list[tuple[int, int]]:
    """Every polygon tested, every distance computed: (owner, method) per point."""
    geoms = index.frame.geometry.to_numpy()
    metric = index.frame.geometry.to_crs(index.metric_crs).to_numpy()
    to_metric = Transformer.from_crs("EPSG:4326", index.metric_crs, always_xy=True)
    out = []
    for lat, lon in zip(lats, lons, strict=True):
        hits = np.flatnonzero(shapely.intersects_xy(geoms, lon, lat))
        if len(hits):
            out.append((int(hits.min()), 0))
            continue
        d = shapely.distance(shapely.Point(*to_metric.transform(lon, lat)), metric)
        best = d.min()
        out.append(
            (int(np.flatnonzero(d == best).min()), 1) if best <= index.snap_distance_m else (-1, 2)
        )
    return out


def hard_points(index: BoundaryIndex, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    coords = shapely.get_coordinates(shapely.boundary(index.frame.geometry.to_numpy()))
    pick = coords[rng.choice(len(coords), 1500, replace=False)]
    exact = pick[:500]  # on a border (shared vertices belong to two kelurahan)
    nudged = pick[500:1000] + rng.uniform(-1e-7, 1e-7, (500, 2))  # ~1 cm off a border
    coast = pick[1000:] + rng.uniform(-0.003, 0.003, (500, 2))  # up to ~330 m away
    pts = np.vstack([exact, nudged, coast])
    return pts[:, 1], pts[:, 0]


def test_grid_classifies_most_of_the_city_and_leaves_borders_mixed(index: BoundaryIndex) -> None:
    stats = index._grid.stats()
    assert stats["inside"] > 2 * stats["mixed"] > 0
    x, y = shapely.get_coordinates(index.frame.geometry.iloc[0].boundary)[0]
    assert index._grid.lookup(y, x) == MIXED  # a border vertex is never decided by the grid
    assert index._grid.lookup(-4.0, 100.0) == FAR


def test_locate_and_locate_many_equal_the_brute_force_reference(index: BoundaryIndex) -> None:
    rng = np.random.default_rng(11)
    hard_lats, hard_lons = hard_points(index, rng)
    lats = np.concatenate(
        [rng.uniform(-6.3708, -6.089, 2000), rng.uniform(-6.0, -5.18, 500), hard_lats]
    )
    lons = np.concatenate(
        [rng.uniform(106.6862, 106.9728, 2000), rng.uniform(106.38, 106.97, 500), hard_lons]
    )
    expected = reference(index, lats, lons)
    batch = index.locate_many(lats, lons)
    single = []
    for lat, lon in zip(lats, lons, strict=True):
        p = index.locate(float(lat), float(lon))
        single.append(
            (-1 if p.kelurahan is None else index.kelurahan.index(p.kelurahan), METHODS[p.method])
        )
    assert list(zip(batch.owner.tolist(), batch.method.tolist(), strict=True)) == expected
    assert single == expected
    assert {m for _, m in expected} == {0, 1, 2}
