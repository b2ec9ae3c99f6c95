"""HTTP API: routing previews for support staff and the boundaries for the dashboard map."""

from __future__ import annotations

from typing import Annotated, Any

from aduan_shared.events import AreaRef, Latitude, Longitude
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from aduan_geo_router.domain import decide_route, routing_part
from aduan_geo_router.router import Router


class RoutePreview(BaseModel):
    """The routing part of the routed event, for a point."""

    category: str
    kelurahan: AreaRef | None
    kecamatan: AreaRef | None
    kota: AreaRef | None
    unit_id: str | None
    unit_name: str | None
    method: str
    distance_m: float | None
    needs_coordination: bool
    reason: str | None


def create_api(router_: Router) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["routing"])

    @router.get("/route", response_model=RoutePreview, summary="Routing decision for a point")
    async def route(
        lat: Annotated[Latitude, Query()],
        lon: Annotated[Longitude, Query()],
        category: str | None = None,
    ) -> RoutePreview:
        choice = router_.choose_category(category or router_.catalog.default, "")
        decision = decide_route(router_.place_point(lat, lon), choice, router_.units)
        return RoutePreview(**routing_part(decision))

    @router.get("/areas/kelurahan", summary="GeoJSON of the loaded kelurahan boundaries")
    async def kelurahan(request: Request) -> Any:
        return request.app.state.boundaries_geojson

    return router
