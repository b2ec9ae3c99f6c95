"""The Balai Warga web form at `/`: the page, its assets, the kelurahan map and the categories."""

from __future__ import annotations

import asyncio
from importlib.resources import files

from aduan_shared.areas_geojson import simplified_areas
from aduan_shared.cityconfig import CityConfig
from aduan_shared.errors import NotFound
from aduan_shared.logging import get_logger
from aduan_shared.webassets import Payload, compact_json
from fastapi import APIRouter, Request, Response

log = get_logger(__name__)

STATIC = files("aduan_intake") / "static" / "form"
#: The files the page loads besides itself; nothing else under /form/ is served.
ASSETS = {
    "form.js": "text/javascript; charset=utf-8",
    "form.css": "text/css; charset=utf-8",
}
#: The page may load only its own files and talk only to intake.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


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
        self.categories = Payload.of(compact_json(categories), "application/json")
        self.page = Payload.of(_static("index.html"), "text/html; charset=utf-8")
        self.assets = {name: Payload.of(_static(name), kind) for name, kind in ASSETS.items()}

    async def areas(self) -> Payload:
        async with self._lock:
            if self._areas is None:
                data = await asyncio.to_thread(simplified_areas, self.city)
                self._areas = Payload.of(compact_json(data), "application/geo+json")
                log.info(
                    "form_areas_built",
                    features=len(data["features"]),
                    size_bytes=len(self._areas.body),
                )
            return self._areas


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
