"""The public dashboard page at `/`: its HTML, script, style and Chart.js, all served here.

Nothing is fetched from a third party at run time: Chart.js comes from npm through
`aduan-dev setup` (pinned version, integrity checked) and is served at
`/static/vendor/chart.umd.js`; the choropleth is drawn from `/v1/public/by-kelurahan`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from aduan_shared.city import cache_dir
from aduan_shared.errors import NotFound
from aduan_shared.logging import get_logger
from aduan_shared.webassets import Payload
from fastapi import APIRouter, Request, Response

log = get_logger(__name__)

STATIC = files("aduan_analytics") / "static"
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "map.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
CHARTJS_VERSION = "4.4.7"
#: The page may load only its own files and talk only to this service.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def default_chartjs_path() -> Path:
    """Where `aduan-dev setup` puts Chart.js (`~/.cache/aduan/npm/chart.js-<version>/...`)."""
    return cache_dir() / "npm" / f"chart.js-{CHARTJS_VERSION}" / "package" / "dist" / "chart.umd.js"


def create_page_router(chartjs_path: Path | None = None) -> APIRouter:
    router = APIRouter(tags=["public page"])
    page = Payload.of((STATIC / "index.html").read_bytes(), "text/html; charset=utf-8")
    assets = {name: Payload.of((STATIC / name).read_bytes(), kind) for name, kind in ASSETS.items()}
    chartjs_file = chartjs_path or default_chartjs_path()
    chartjs: Payload | None = None
    if chartjs_file.is_file():
        chartjs = Payload.of(chartjs_file.read_bytes(), "text/javascript; charset=utf-8")
    else:
        log.error("chartjs_missing", path=str(chartjs_file), fix="run `make setup`")

    @router.get("/", summary="The public dashboard (HTML)", response_class=Response)
    async def index(request: Request) -> Response:
        response = page.response(request, "no-cache")
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @router.get("/static/{name}", include_in_schema=False, response_class=Response)
    async def asset(name: str, request: Request) -> Response:
        payload = assets.get(name)
        if payload is None:
            raise NotFound(f"no asset {name}")
        return payload.response(request, "no-cache")

    @router.get("/static/vendor/chart.umd.js", include_in_schema=False, response_class=Response)
    async def chart(request: Request) -> Response:
        if chartjs is None:
            raise NotFound("Chart.js is not installed here; run `make setup`")
        return chartjs.response(request, "public, max-age=86400")

    return router
