"""A pre-classified cell grid over the city: most points are answered by one array lookup.

Each cell (about 110 m) is classified once at start-up as lying wholly in one kelurahan's
interior, wholly farther than the snap distance from every kelurahan, or mixed. Only points in
mixed cells (near borders and coasts) need the exact polygon test. The classification is exact,
not approximate: a cell counts as inside only if the cell, widened by a margin far above float
rounding, lies in the polygon's interior; it counts as far only if it misses a zone that contains
every point within the snap distance.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

MIXED = -1
FAR = -2
CELL_DEG = 0.001  # ≈ 110 m at Jakarta's latitude
_MARGIN_DEG = 1e-9  # ≫ the rounding of a cell index, ≪ any kelurahan
_BAND_ROWS = 64
_NONE = np.empty(0, dtype=np.int64)


class CellGrid:
    def __init__(
        self,
        geoms: np.ndarray,
        tree: shapely.STRtree,
        near_zone: BaseGeometry,
        cell_deg: float = CELL_DEG,
    ) -> None:
        """`geoms` and `tree`: the kelurahan in WGS84; `near_zone`: a WGS84 area that contains
        every point within the snap distance of some kelurahan."""
        x0, y0, x1, y1 = near_zone.bounds
        self.x0, self.y0, self.cell = x0, y0, cell_deg
        self.nx = int(np.ceil((x1 - x0) / cell_deg)) + 1
        self.ny = int(np.ceil((y1 - y0) / cell_deg)) + 1
        self.cells = np.full((self.ny, self.nx), FAR, dtype=np.int32)
        self.touching: dict[int, np.ndarray] = {}  # mixed cell → kelurahan that touch it
        shapely.prepare(near_zone)
        for row in range(0, self.ny, _BAND_ROWS):  # in bands: few temporary geometries at once
            self._classify(row, min(row + _BAND_ROWS, self.ny), geoms, tree, near_zone)

    def _classify(
        self,
        row0: int,
        row1: int,
        geoms: np.ndarray,
        tree: shapely.STRtree,
        near_zone: BaseGeometry,
    ) -> None:
        jx_grid, iy_grid = np.meshgrid(np.arange(self.nx), np.arange(row0, row1))
        jx, iy = jx_grid.ravel(), iy_grid.ravel()
        x0, y0, cell = self.x0, self.y0, self.cell
        boxes = shapely.box(
            x0 + jx * cell - _MARGIN_DEG,
            y0 + iy * cell - _MARGIN_DEG,
            x0 + (jx + 1) * cell + _MARGIN_DEG,
            y0 + (iy + 1) * cell + _MARGIN_DEG,
        )
        near = np.flatnonzero(shapely.intersects(near_zone, boxes))
        self.cells[iy[near], jx[near]] = MIXED
        box_idx, poly_idx = tree.query(boxes[near], predicate="intersects")
        inside = shapely.contains_properly(geoms[poly_idx], boxes[near][box_idx])
        hit = near[box_idx[inside]]
        self.cells[iy[hit], jx[hit]] = poly_idx[inside]
        mixed_pairs = self.cells[iy[near[box_idx]], jx[near[box_idx]]] == MIXED
        for b, poly in zip(box_idx[mixed_pairs], poly_idx[mixed_pairs], strict=True):
            key = int(iy[near[b]]) * self.nx + int(jx[near[b]])
            self.touching[key] = np.append(self.touching.get(key, _NONE), poly)

    def cell_of(self, lat: float, lon: float) -> int:
        """The flat index of a point's cell (-1 outside the grid)."""
        i, j = int((lat - self.y0) // self.cell), int((lon - self.x0) // self.cell)
        return i * self.nx + j if 0 <= i < self.ny and 0 <= j < self.nx else -1

    def lookup(self, lat: float, lon: float) -> int:
        """The kelurahan index of a point's cell, or MIXED, or FAR."""
        i, j = int((lat - self.y0) // self.cell), int((lon - self.x0) // self.cell)
        if 0 <= i < self.ny and 0 <= j < self.nx:
            return int(self.cells[i, j])
        return FAR

    def lookup_many(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        i = np.floor((lats - self.y0) / self.cell).astype(np.int64)
        j = np.floor((lons - self.x0) / self.cell).astype(np.int64)
        ok = (i >= 0) & (i < self.ny) & (j >= 0) & (j < self.nx)
        out = np.full(len(lats), FAR, dtype=np.int32)
        out[ok] = self.cells[i[ok], j[ok]]
        return out

    def stats(self) -> dict[str, int]:
        flat = self.cells.ravel()
        return {
            "cells": int(flat.size),
            "inside": int((flat >= 0).sum()),
            "mixed": int((flat == MIXED).sum()),
            "far": int((flat == FAR).sum()),
        }
