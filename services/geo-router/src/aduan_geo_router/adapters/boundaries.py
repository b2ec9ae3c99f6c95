"""Kelurahan boundaries loaded with geopandas and indexed with an STRtree for point lookups."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from aduan_shared.city import kecamatan_kode, kota_kode
from aduan_shared.cityconfig import CityConfig, load_city
from pyproj import Transformer

from aduan_geo_router.adapters.grid import FAR, MIXED, CellGrid
from aduan_geo_router.domain import Kelurahan, Placement

WGS84 = "EPSG:4326"
_NONE = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class BatchPlacement:
    """Placements of many points (see `BoundaryIndex.locate_many`)."""

    owner: np.ndarray  # index into BoundaryIndex.kelurahan, -1 when outside
    method: np.ndarray  # 0 polygon, 1 snapped, 2 outside_area
    distance_m: np.ndarray  # snapping distance, NaN unless snapped


class BoundaryError(RuntimeError):
    """The boundary file cannot be used (missing columns, empty, duplicate or overlapping)."""


def read_kelurahan(city: CityConfig) -> gpd.GeoDataFrame:
    """The kelurahan of a GeoJSON, Shapefile or GeoPackage as a WGS84 frame with the columns
    `kode`, `kelurahan`, `kecamatan`, `kota`, sorted by code, geometries repaired. Kecamatan and
    kota names come from their columns, else from their own layers, else are their codes."""
    path, layer = city.kelurahan_path, city.city.boundaries.kelurahan
    if not path.is_file():
        raise BoundaryError(f"boundary file {path} does not exist")
    frame = gpd.read_file(path, layer=layer.layer) if layer.layer else gpd.read_file(path)
    wanted = {layer.code: "kode", layer.name: "kelurahan"}
    missing = sorted(
        c
        for c in (layer.code, layer.name, layer.kecamatan, layer.kota)
        if c and c not in frame.columns
    )
    if missing:
        raise BoundaryError(f"{path}: missing columns {missing} (set them in city.yaml)")
    frame = frame.rename(
        columns=wanted
        | {c: n for c, n in ((layer.kecamatan, "kecamatan"), (layer.kota, "kota")) if c}
    )
    frame["kode"] = frame["kode"].astype(str)
    kec_names, kota_names = city.area_names()
    for derived, code_of, names in (
        ("kecamatan", kecamatan_kode, kec_names),
        ("kota", kota_kode, kota_names),
    ):
        if derived not in frame.columns:
            codes = frame["kode"].map(code_of)
            frame[derived] = codes.map(lambda c, names=names: names.get(c, c))
    if frame.empty:
        raise BoundaryError(f"{path}: no features")
    frame = frame.set_crs(WGS84) if frame.crs is None else frame.to_crs(WGS84)
    dupes = sorted(frame.loc[frame["kode"].duplicated(), "kode"].unique())
    if dupes:
        raise BoundaryError(f"{path}: duplicate kode {dupes}")
    empty = sorted(frame.loc[frame.geometry.is_empty | frame.geometry.isna(), "kode"])
    if empty:
        raise BoundaryError(f"{path}: empty geometry for {empty}")
    frame["geometry"] = shapely.make_valid(frame.geometry.to_numpy())
    columns = ["kode", "kelurahan", "kecamatan", "kota", "geometry"]
    return frame[columns].sort_values("kode").reset_index(drop=True)


def check_overlaps(
    frame: gpd.GeoDataFrame, metric_crs: str, tolerance_m2: float, path: Path
) -> None:
    """Raise BoundaryError naming the kelurahan pairs that overlap by more than the tolerance."""
    metric = frame.geometry.to_crs(metric_crs).to_numpy()
    left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    areas = shapely.area(shapely.intersection(metric[left], metric[right]))
    bad = [
        (frame.kode[i], frame.kode[j], round(float(a)))
        for i, j, a in zip(left, right, areas, strict=True)
        if a > tolerance_m2
    ]
    if bad:
        listed = ", ".join(f"{a} & {b} ({m} m²)" for a, b, m in bad[:10])
        raise BoundaryError(
            f"{path}: {len(bad)} kelurahan pairs overlap more than {tolerance_m2:g} m²: {listed}"
        )


@dataclass
class BoundaryIndex:
    """Point-in-polygon over the city's kelurahan, with snapping to the nearest within a limit."""

    kelurahan: list[Kelurahan]
    frame: gpd.GeoDataFrame  # WGS84, one row per kelurahan, same order as `kelurahan`
    snap_distance_m: float
    metric_crs: str

    def __post_init__(self) -> None:
        self._geoms = self.frame.geometry.to_numpy()
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        self._metric = self.frame.geometry.to_crs(self.metric_crs).to_numpy()
        self._metric_tree = shapely.STRtree(self._metric)
        self._to_metric = Transformer.from_crs(WGS84, self.metric_crs, always_xy=True)
        # Points outside this zone are farther than the snap distance from every kelurahan: one
        # prepared containment test spares them the nearest-polygon search.
        margin = self.snap_distance_m * 1.01 + 1.0
        self._snap_zone = shapely.union_all(self._metric).buffer(margin)
        shapely.prepare(self._snap_zone)
        # The same zone, a little wider, in WGS84: a single far point skips the transform too.
        wide = shapely.union_all(self._metric).buffer(self.snap_distance_m * 1.05 + 5.0)
        self._snap_zone_wgs84 = gpd.GeoSeries([wide], crs=self.metric_crs).to_crs(WGS84).iloc[0]
        shapely.prepare(self._snap_zone_wgs84)
        self._grid = CellGrid(self._geoms, self._tree, self._snap_zone_wgs84)

    @classmethod
    def load(cls, city_dir: Path) -> BoundaryIndex:
        """The index of a city directory (`city.yaml`, or just `kelurahan.geojson`)."""
        return cls.from_city(load_city(city_dir))

    @classmethod
    def from_city(cls, city: CityConfig) -> BoundaryIndex:
        """Read, repair and check the city's kelurahan; raise BoundaryError naming what is wrong."""
        frame = read_kelurahan(city)
        check_overlaps(
            frame,
            city.city.metric_crs,
            city.city.boundaries.overlap_tolerance_m2,
            city.kelurahan_path,
        )
        kels = [
            Kelurahan(str(r.kode), str(r.kelurahan), str(r.kecamatan), str(r.kota))
            for r in frame.itertuples()
        ]
        return cls(kels, frame, city.city.routing.snap_distance_m, city.city.metric_crs)

    def locate(self, lat: float, lon: float) -> Placement:
        """Place a WGS84 point: inside a polygon, snapped within the limit, or outside_area.

        A point on a shared border belongs to the kelurahan with the smallest code; a point
        equally near two kelurahan snaps to the smaller code.
        """
        flat = self._grid.cell_of(lat, lon)
        cell = int(self._grid.cells.flat[flat]) if flat >= 0 else FAR
        if cell >= 0:
            return Placement(self.kelurahan[cell], "polygon", 0.0)
        if cell == FAR:
            return Placement(None, "none", None, "outside_area")
        touching = self._grid.touching.get(flat, _NONE)  # the only kelurahan that can hold it
        hits = touching[shapely.intersects_xy(self._geoms[touching], lon, lat)]
        if len(hits):
            return Placement(self.kelurahan[int(hits.min())], "polygon", 0.0)
        x, y = self._to_metric.transform(lon, lat)
        if shapely.contains_xy(self._snap_zone, x, y):
            point = shapely.Point(x, y)
            near = self._metric_tree.query(
                point, predicate="dwithin", distance=self.snap_distance_m
            )
            if len(near):
                dist = shapely.distance(point, self._metric[near])
                best = dist.min()
                owner = int(near[dist == best].min())
                return Placement(self.kelurahan[owner], "snapped", round(float(best), 1))
        return Placement(None, "none", None, "outside_area")

    def locate_many(self, lats: np.ndarray, lons: np.ndarray) -> BatchPlacement:
        """Place many WGS84 points at once: the same answers as `locate`, vectorised.

        Returns per point the index into `kelurahan` (-1 when outside), the method code
        (0 polygon, 1 snapped, 2 outside) and the snapping distance in metres (NaN otherwise).
        """
        cell = self._grid.lookup_many(lats, lons)
        owner = np.where(cell >= 0, cell, -1).astype(np.int64)
        method = np.where(cell >= 0, 0, 2).astype(np.int8)
        distance = np.full(len(lats), np.nan)
        mixed = np.flatnonzero(cell == MIXED)
        if len(mixed):
            exact = self._locate_exact(lats[mixed], lons[mixed])
            owner[mixed], method[mixed], distance[mixed] = exact
        return BatchPlacement(owner, method, distance)

    def _locate_exact(
        self, lats: np.ndarray, lons: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The polygon test and snapping, vectorised, for points the grid cannot answer."""
        n = len(lats)
        owner = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        pt_idx, poly_idx = self._tree.query(shapely.points(lons, lats))  # bounding boxes
        inside = shapely.intersects_xy(self._geoms[poly_idx], lons[pt_idx], lats[pt_idx])
        np.minimum.at(owner, pt_idx[inside], poly_idx[inside])  # smallest code on borders
        method = np.where(owner < len(self.kelurahan), 0, 2).astype(np.int8)
        distance = np.full(n, np.nan)
        misses = np.flatnonzero(method == 2)
        if len(misses):
            xs, ys = self._to_metric.transform(lons[misses], lats[misses])
            near = shapely.contains_xy(self._snap_zone, xs, ys)
            candidates = misses[near]
            snap_owner, snap_dist = self._nearest(xs[near], ys[near])
            found = snap_owner >= 0
            owner[candidates[found]] = snap_owner[found]
            method[candidates[found]] = 1
            distance[candidates[found]] = snap_dist[found]
        owner[method == 2] = -1
        return owner, method, distance

    def _nearest(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For metric points: the nearest kelurahan within the snap distance (smaller code on
        ties) and its distance; -1 and NaN where none is that near."""
        points = shapely.points(xs, ys)
        pt, poly = self._metric_tree.query(
            points, predicate="dwithin", distance=self.snap_distance_m
        )
        owner = np.full(len(points), -1, dtype=np.int64)
        dist = np.full(len(points), np.nan)
        if len(pt):
            d = shapely.distance(points[pt], self._metric[poly])
            order = np.lexsort((poly, d, pt))  # by point, then distance, then code
            first = order[np.r_[True, pt[order][1:] != pt[order][:-1]]]
            owner[pt[first]] = poly[first]
            dist[pt[first]] = d[first]
        return owner, dist

    def geojson(self) -> dict[str, Any]:
        """The loaded boundaries as a GeoJSON FeatureCollection (for the dashboard map)."""
        data: dict[str, Any] = self.frame.__geo_interface__
        return data
