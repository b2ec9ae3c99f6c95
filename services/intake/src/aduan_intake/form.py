"""The Balai Warga web form at `/`: the page, its assets, the kelurahan map and the categories."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import statistics
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from aduan_shared.city import CityConfigError
from aduan_shared.cityconfig import CityConfig, read_areas
from aduan_shared.errors import NotFound
from aduan_shared.logging import get_logger
from fastapi import APIRouter, Request, Response
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

log = get_logger(__name__)

STATIC = files("aduan_intake") / "static" / "form"
#: The files the page loads besides itself; nothing else under /form/ is served.
ASSETS = {
    "form.js": "text/javascript; charset=utf-8",
    "form.css": "text/css; charset=utf-8",
}
SIMPLIFY_DEG = 0.0001  # ~11 m: invisible at street zoom, a third fewer vertices
DECIMALS = 5  # ~1 m
#: Areas whose centre lies farther than this many median distances from the median centre
#: (Jakarta's Kepulauan Seribu) stay reachable by panning but out of the first view.
OUTLIER_FACTOR = 3.0
#: The page may load only its own files and talk only to intake.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Payload:
    """A cached response body, plain and gzipped, with its entity tag."""

    body: bytes
    gzipped: bytes
    etag: str
    media_type: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Payload:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return cls(body, gzip.compress(body, 9, mtime=0), etag, media_type)

    def response(self, request: Request, cache_control: str) -> Response:
        headers = {"Cache-Control": cache_control, "ETag": self.etag, "Vary": "Accept-Encoding"}
        if self.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(self.gzipped, media_type=self.media_type, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


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
        raise CityConfigError(f"{path}: the Balai Warga map reads GeoJSON boundaries only")
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


class FormData:
    """What the page fetches, computed once on first use and kept."""

    def __init__(self, city: CityConfig) -> None:
        self.city = city
        self._areas: Payload | None = None
        self._lock = asyncio.Lock()
        categories = {
            "city": city.city.name,
            "categories": [{"name": c.name, "code": c.code} for c in city.category_names()],
        }
        self.categories = Payload.of(_compact(categories), "application/json")
        self.page = Payload.of(_static("index.html"), "text/html; charset=utf-8")
        self.assets = {name: Payload.of(_static(name), kind) for name, kind in ASSETS.items()}

    async def areas(self) -> Payload:
        async with self._lock:
            if self._areas is None:
                data = await asyncio.to_thread(simplified_areas, self.city)
                self._areas = Payload.of(_compact(data), "application/geo+json")
                log.info(
                    "form_areas_built",
                    features=len(data["features"]),
                    size_bytes=len(self._areas.body),
                )
            return self._areas


def _compact(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _static(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def create_form_router(city: CityConfig) -> APIRouter:
    """`GET /` (the form), `/form/areas.geojson`, `/form/categories.json` and the page's assets."""
    router = APIRouter(tags=["balai warga form"])
    data = FormData(city)
    revalidate = "no-cache"  # the page and its scripts change with a deploy: always revalidate

    @router.get("/", summary="The Balai Warga form (HTML)", response_class=Response)
    async def page(request: Request) -> Response:
        response = data.page.response(request, revalidate)
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @router.get(
        "/form/areas.geojson",
        summary="The kelurahan polygons, simplified for the form's map",
        response_class=Response,
    )
    async def areas(request: Request) -> Response:
        return (await data.areas()).response(request, "public, max-age=3600")

    @router.get(
        "/form/categories.json",
        summary="The categories a citizen picks from (name, code) and the city's name",
        response_class=Response,
    )
    async def categories(request: Request) -> Response:
        return data.categories.response(request, "public, max-age=300")

    @router.get("/form/{name}", summary="The form's script and style", response_class=Response)
    async def asset(name: str, request: Request) -> Response:
        payload = data.assets.get(name)
        if payload is None:
            raise NotFound(f"no such file: /form/{name}")
        return payload.response(request, revalidate)

    return router
