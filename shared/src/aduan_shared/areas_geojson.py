"""The city's kelurahan as a light GeoJSON for browsers: simplified, rounded, with their names.

The Balai Warga form (intake) and the public dashboard's choropleth (analytics) both draw the
polygons themselves from this, with no tile server.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from aduan_shared.city import CityConfigError
from aduan_shared.cityconfig import CityConfig, read_areas

SIMPLIFY_DEG = 0.0001  # ~11 m: invisible at street zoom, a third fewer vertices
DECIMALS = 5  # ~1 m
#: Areas whose centre lies farther than this many median distances from the median centre
#: (Jakarta's Kepulauan Seribu) stay reachable by panning but out of the first view.
OUTLIER_FACTOR = 3.0


def _rounded(coords: Any) -> Any:
    if isinstance(coords[0], int | float):
        return [round(float(coords[0]), DECIMALS), round(float(coords[1]), DECIMALS)]
    return [_rounded(c) for c in coords]


def _bbox(shapes: list[BaseGeometry]) -> list[float]:
    bounds = [s.bounds for s in shapes]
    return [
        round(min(b[0] for b in bounds), DECIMALS),
        round(min(b[1] for b in bounds), DECIMALS),
        round(max(b[2] for b in bounds), DECIMALS),
        round(max(b[3] for b in bounds), DECIMALS),
    ]


def _core(shapes: list[BaseGeometry]) -> list[BaseGeometry]:
    """The shapes without far outliers (islands off the coast), for the map's first view."""
    centres = [s.centroid for s in shapes]
    mx = statistics.median(c.x for c in centres)
    my = statistics.median(c.y for c in centres)
    dist = [((c.x - mx) ** 2 + (c.y - my) ** 2) ** 0.5 for c in centres]
    limit = OUTLIER_FACTOR * statistics.median(dist)
    core = [s for s, d in zip(shapes, dist, strict=True) if d <= limit]
    return core or shapes


def simplified_areas(city: CityConfig) -> dict[str, Any]:
    """The kelurahan as a GeoJSON FeatureCollection for the browser: simplified, coordinates
    rounded, properties `kode`, `name`, `kecamatan`, `kota`; `bbox` covers all of them and
    `view` (w, s, e, n) the part the map shows first. Raises CityConfigError."""
    path = city.kelurahan_path
    if path.suffix.lower() not in {".geojson", ".json"}:
        raise CityConfigError(f"{path}: the browser maps read GeoJSON boundaries only")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    out: list[dict[str, Any]] = []
    shapes: list[BaseGeometry] = []
    for feature, area in zip(features, read_areas(city), strict=True):
        if not feature.get("geometry"):
            continue
        geom = shape(feature["geometry"]).simplify(SIMPLIFY_DEG, preserve_topology=True)
        if geom.is_empty:
            continue
        shapes.append(geom)
        geometry = mapping(geom)
        out.append(
            {
                "type": "Feature",
                "properties": {
                    "kode": area.kode,
                    "name": area.name,
                    "kecamatan": area.kecamatan,
                    "kota": area.kota,
                },
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _rounded(geometry["coordinates"]),
                },
            }
        )
    if not out:
        raise CityConfigError(f"{path}: no kelurahan with a geometry")
    return {
        "type": "FeatureCollection",
        "bbox": _bbox(shapes),
        "view": _bbox(_core(shapes)),
        "features": out,
    }
