"""Open311 GeoReport v2 under `/open311/v2/` (JSON only): civic apps list the city's services,
submit reports and follow them. Errors are the spec's `[{"code", "description"}]` arrays, which
is what Open311 clients parse (not problem+json). The mapping itself is `open311_domain.py`."""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import parse_qsl

import yaml
from aduan_shared.cityconfig import CityConfig, read_areas
from aduan_shared.errors import AduanError
from aduan_shared.events import utcnow
from aduan_shared.photos import ProcessedPhoto
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from aduan_intake.adapters.store import StatusStore
from aduan_intake.channel_api import process_quietly
from aduan_intake.channels import channel_by_id
from aduan_intake.open311_domain import (
    OPEN311,
    VISIBILITY_ATTRIBUTE,
    Open311Catalog,
    Open311Error,
    Service,
    json_only,
    listing_query,
    request_json,
    service_group,
    service_json,
    submission_of,
)
from aduan_intake.pipeline import Pipeline

MAX_BODY_BYTES = 64 * 1024
SERVICE_NOTICE = "Laporan diterima dan diteruskan ke unit yang berwenang."
#: HTTP statuses of Aduan's errors → the spec's (403 for any api_key problem, 400 for bad input).
SPEC_STATUS = {401: 403, 422: 400}


def error_response(exc: AduanError) -> JSONResponse:
    """The spec's error array; the code of each entry is the HTTP status."""
    status = SPEC_STATUS.get(exc.status, exc.status)
    descriptions = exc.descriptions if isinstance(exc, Open311Error) else (exc.detail,)
    body = [{"code": status, "description": d} for d in descriptions]
    return JSONResponse(body, status_code=status, headers=exc.headers)


class Open311Route(APIRoute):
    """A route whose errors are rendered the Open311 way instead of as problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except AduanError as exc:
                return error_response(exc)
            except RequestValidationError as exc:
                problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
                return error_response(Open311Error(400, *problems))

        return route


def catalog_from_city(city: CityConfig) -> Open311Catalog:
    """The services (the city's categories with their keywords) and the units' names."""
    opd = {o.code: o.name for o in city.units_file.opd}
    keywords: dict[str, tuple[str, ...]] = {}
    if city.categories_path is not None:
        data = yaml.safe_load(city.categories_path.read_text(encoding="utf-8"))
        for row in data.get("categories") or ():
            keywords[str(row["code"])] = tuple(str(k) for k in row.get("keywords") or ())
    services = tuple(
        Service(c.code, c.name, service_group(c.route, opd), keywords.get(c.code, ()))
        for c in city.category_names()
    ) or (Service("lainnya", "Lainnya", "Kelurahan"),)  # the geo-router's default category
    units = {u.id: u.name for u in city.units(read_areas(city)).values()}
    return Open311Catalog(services, units)


async def _read_fields(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The POST's fields and its `attribute[code]` values; empty values count as not sent."""
    too_large = Open311Error(413, f"a service request is at most {MAX_BODY_BYTES // 1024} KB")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    pairs: list[tuple[str, Any]]
    try:
        if content_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        elif content_type == "application/json":
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            pairs = list(data.items())
        else:
            raise Open311Error(415, "send application/x-www-form-urlencoded (or a JSON object)")
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError too
        raise Open311Error(400, f"the body cannot be read: {exc}") from exc
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for key, value in pairs:
        if key == "attribute" and isinstance(value, dict):  # JSON: {"attribute": {"code": v}}
            attributes.update({str(k): str(v) for k, v in value.items() if v not in (None, "")})
        elif value is None or str(value).strip() == "":
            continue
        elif match := re.fullmatch(r"attribute\[([^\]]+)\](?:\[\])?", key):
            attributes[match.group(1)] = str(value).strip()
        else:
            fields[key] = str(value) if key == "description" else str(value).strip()
    return fields, attributes


def create_open311(pipeline: Pipeline, reports: StatusStore, catalog: Open311Catalog) -> APIRouter:
    router = APIRouter(
        prefix="/open311/v2",
        tags=["open311"],
        route_class=Open311Route,
        # Open311 GeoReport v2 errors: a JSON list of {code, description}, not problem+json
        responses={"4XX": {"description": "Open311 errors", "content": {"application/json": {}}}},
    )
    deps = pipeline.deps

    def authenticate(api_key: str | None) -> None:
        channel = channel_by_id(deps.channels, OPEN311)
        if channel is None or not channel.enabled:
            raise Open311Error(403, "Open311 submissions are turned off in this city")
        expected = deps.api_keys.get(OPEN311, "")
        if not api_key:
            raise Open311Error(403, "api_key was not provided")
        if not expected or not hmac.compare_digest(api_key.encode(), expected.encode()):
            raise Open311Error(403, "invalid api_key -- can't proceed with create_request")

    async def media(url: str | None) -> tuple[ProcessedPhoto, ...]:
        fetcher = deps.photo_fetcher
        if not url or fetcher is None:
            return ()
        return await process_quietly(await fetcher.gather([url], []))

    @router.get("/services.{fmt}", summary="GET Service List: the city's categories")
    async def services(fmt: str) -> JSONResponse:
        json_only(fmt)
        return JSONResponse([service_json(s) for s in catalog.services])

    @router.get("/services/{service_code}.{fmt}", summary="GET Service Definition")
    async def definition(service_code: str, fmt: str) -> JSONResponse:
        json_only(fmt)
        if catalog.by_code(service_code) is None:
            raise Open311Error(404, f"service_code {service_code!r} was not found")
        return JSONResponse({"service_code": service_code, "attributes": [VISIBILITY_ATTRIBUTE]})

    @router.post(
        "/requests.{fmt}",
        summary="POST Service Request (form-encoded or JSON; api_key)",
        responses={503: {"description": "broker unreachable; retry later (Retry-After)"}},
    )
    async def create(fmt: str, request: Request) -> JSONResponse:
        json_only(fmt)
        fields, attributes = await _read_fields(request)
        authenticate(fields.get("api_key") or request.query_params.get("api_key"))
        submission = submission_of(fields, attributes, catalog)
        contact = submission.reporter
        sealed = (
            None if contact is None or contact.is_empty() else contact.model_dump(exclude_none=True)
        )
        photos = await media(fields.get("media_url"))
        accepted = await pipeline.accept(submission, sealed, request.state.correlation_id, photos)
        return JSONResponse(
            [
                {
                    "service_request_id": accepted.tracking_code,
                    "service_notice": SERVICE_NOTICE,
                    "account_id": None,
                }
            ]
        )

    @router.get("/requests.{fmt}", summary="GET Service Requests (public reports only)")
    async def listing(fmt: str, request: Request) -> JSONResponse:
        json_only(fmt)
        params = {k: request.query_params.getlist(k) for k in request.query_params}
        query = listing_query(params, catalog, utcnow())
        found = await reports.public_reports(query)
        return JSONResponse([request_json(r, catalog, public=True) for r in found])

    @router.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request")
    async def one(service_request_id: str, fmt: str) -> JSONResponse:
        json_only(fmt)
        found = await reports.by_tracking_code(service_request_id.strip().upper())
        if found is None:
            raise Open311Error(404, f"service_request_id {service_request_id!r} was not found")
        public = found.event.visibility == "public"
        return JSONResponse([request_json(found, catalog, public=public)])

    @router.api_route(
        "/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
    )
    async def unknown(path: str) -> JSONResponse:
        raise Open311Error(
            404,
            f"no Open311 resource or method at {path!r}: services.json, services/{{code}}.json, "
            "requests.json (GET, POST), requests/{id}.json",
        )

    return router
