"""Kelurahan boundaries loaded with geopandas and indexed with an STRtree for point lookups."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from aduan_shared.city import KELURAHAN_FILE
from pyproj import Transformer

from aduan_geo_router.domain import Kelurahan, Placement

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class BatchPlacement:
    """Placements of many points (see `BoundaryIndex.locate_many`)."""

    owner: np.ndarray  # index into BoundaryIndex.kelurahan, -1 when outside
    method: np.ndarray  # 0 polygon, 1 snapped, 2 outside_area
    distance_m: np.ndarray  # snapping distance, NaN unless snapped


class BoundaryError(RuntimeError):
    """The boundary file cannot be used (missing columns, empty or duplicate features)."""


@dataclass
class BoundaryIndex:
    """Point-in-polygon over the city's kelurahan, with snapping to the nearest within a limit."""

    kelurahan: list[Kelurahan]
    frame: gpd.GeoDataFrame  # WGS84, one row per kelurahan, same order as `kelurahan`
    snap_distance_m: float
    metric_crs: str

    def __post_init__(self) -> None:
        geoms = self.frame.geometry.to_numpy()
        shapely.prepare(geoms)
        self._tree = shapely.STRtree(geoms)
        metric = self.frame.geometry.to_crs(self.metric_crs).to_numpy()
        self._metric_tree = shapely.STRtree(metric)
        self._to_metric = Transformer.from_crs(WGS84, self.metric_crs, always_xy=True)

    @classmethod
    def load(
        cls, city_dir: Path, *, snap_distance_m: float = 200.0, metric_crs: str = "EPSG:32748"
    ) -> BoundaryIndex:
        """Read `kelurahan.geojson` of the city; raise BoundaryError naming what is wrong."""
        path = city_dir / KELURAHAN_FILE
        frame = gpd.read_file(path)
        missing = {"kode", "kelurahan", "kecamatan", "kota"} - set(frame.columns)
        if missing:
            raise BoundaryError(f"{path}: missing columns {sorted(missing)}")
        if frame.empty:
            raise BoundaryError(f"{path}: no features")
        frame = frame.set_crs(WGS84) if frame.crs is None else frame.to_crs(WGS84)
        frame["geometry"] = shapely.make_valid(frame.geometry.to_numpy())
        dupes = sorted(frame.loc[frame["kode"].duplicated(), "kode"].unique())
        if dupes:
            raise BoundaryError(f"{path}: duplicate kode {dupes}")
        empty = sorted(frame.loc[frame.geometry.is_empty, "kode"])
        if empty:
            raise BoundaryError(f"{path}: empty geometry for {empty}")
        frame = frame.sort_values("kode").reset_index(drop=True)
        kels = [
            Kelurahan(str(r.kode), str(r.kelurahan), str(r.kecamatan), str(r.kota))
            for r in frame.itertuples()
        ]
        return cls(kels, frame, snap_distance_m, metric_crs)

    def locate(self, lat: float, lon: float) -> Placement:
        """Place a WGS84 point: inside a polygon, snapped within the limit, or outside_area.

        A point on a shared border belongs to the kelurahan with the smallest code.
        """
        point = shapely.Point(lon, lat)
        hits = self._tree.query(point, predicate="intersects")
        if len(hits):
            return Placement(self.kelurahan[int(np.min(hits))], "polygon", 0.0)
        x, y = self._to_metric.transform(lon, lat)
        nearest, distances = self._metric_tree.query_nearest(
            shapely.Point(x, y), max_distance=self.snap_distance_m, return_distance=True
        )
        if len(nearest):
            i = int(np.argmin(distances))
            return Placement(
                self.kelurahan[int(nearest[i])], "snapped", round(float(distances[i]), 1)
            )
        return Placement(None, "none", None, "outside_area")

    def locate_many(self, lats: np.ndarray, lons: np.ndarray) -> BatchPlacement:
        """Place many WGS84 points at once: the same answers as `locate`, vectorised.

        Returns per point the index into `kelurahan` (-1 when outside), the method code
        (0 polygon, 1 snapped, 2 outside) and the snapping distance in metres (NaN otherwise).
        """
        points = shapely.points(lons, lats)
        n = len(points)
        owner = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        pt_idx, poly_idx = self._tree.query(points, predicate="intersects")
        np.minimum.at(owner, pt_idx, poly_idx)  # smallest code wins on shared borders
        method = np.where(owner < len(self.kelurahan), 0, 2).astype(np.int8)
        distance = np.full(n, np.nan)
        misses = np.flatnonzero(method == 2)
        if len(misses):
            xs, ys = self._to_metric.transform(lons[misses], lats[misses])
            near_pt, near_poly = self._metric_tree.query_nearest(
                shapely.points(xs, ys), max_distance=self.snap_distance_m, all_matches=False
            )
            if len(near_pt):
                hit = misses[near_pt]
                owner[hit] = near_poly
                method[hit] = 1
                distance[hit] = shapely.distance(
                    shapely.points(xs[near_pt], ys[near_pt]),
                    self._metric_tree.geometries[near_poly],
                )
        owner[method == 2] = -1
        return BatchPlacement(owner, method, distance)

    def geojson(self) -> dict[str, Any]:
        """The loaded boundaries as a GeoJSON FeatureCollection (for the dashboard map)."""
        data: dict[str, Any] = self.frame.__geo_interface__
        return data
