"""The public API (CONTRACTS.md "analytics"): figures, the choropleth, public reports, open data.

No endpoint needs a login and none shows a reporter or an officer: public reports come from the
read model, which keeps only their redacted text and rounded position; private ones count only.
Every answer is computed once per query and `ANALYTICS_CACHE_TTL_S`, kept as bytes (plain and
gzipped, with an ETag), so a burst of public traffic does not reach the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Annotated, Any

from aduan_shared.cityconfig import Unit
from aduan_shared.errors import InvalidInput
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.webassets import Payload, compact_json
from fastapi import APIRouter, Depends, Query, Request, Response

from aduan_analytics.adapters.readmodel import MongoReadModel
from aduan_analytics.cache import TtlCache
from aduan_analytics.domain import (
    PublicFilter,
    by_category,
    counted,
    kelurahan_geojson,
    public_report,
    reports_csv,
    reports_geojson,
    summary,
    timeseries,
    unit_compliance,
)

MAX_DAYS = 366
MAX_REPORTS = 1000
CACHE_CONTROL = "public, max-age=30"

FromParam = Annotated[
    date | None, Query(alias="from", description="first received day, YYYY-MM-DD (city time)")
]
ToParam = Annotated[date | None, Query(alias="to", description="last received day, inclusive")]
KotaParam = Annotated[
    str | None, Query(max_length=20, pattern=r"^[0-9.]+$", description="kota kode, e.g. 31.74")
]
CategoryParam = Annotated[str | None, Query(max_length=100, description="category name")]


@dataclass(frozen=True)
class PublicData:
    """What the API reads: the read model, the city's units, its simplified kelurahan."""

    model: MongoReadModel
    units: dict[str, Unit]
    areas: Callable[[], Awaitable[dict[str, Any]]]
    kotas: list[dict[str, str]]
    area_names: dict[str, str]  # kecamatan and kota names by kode
    categories: list[str]
    tz: tzinfo
    today: Callable[[], date]


def public_filter(
    since: FromParam = None,
    until: ToParam = None,
    kota: KotaParam = None,
    category: CategoryParam = None,
) -> PublicFilter:
    """The page's filters from the query string (a FastAPI dependency)."""
    if since is not None and until is not None and since > until:
        raise InvalidInput("`from` must not be after `to`")
    return PublicFilter(since, until, kota, category)


Filter = Annotated[PublicFilter, Depends(public_filter)]


#: What the non-JSON answers are, in the OpenAPI (schemathesis checks the content type sent).
GEOJSON: dict[int | str, dict[str, Any]] = {
    200: {"description": "GeoJSON", "content": {"application/geo+json": {"schema": {}}}}
}
CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
}


def create_api(
    data: PublicData, cache: TtlCache[Payload], metrics: ServiceMetrics | None = None
) -> APIRouter:
    router = APIRouter(prefix="/v1/public", tags=["public"])
    model = data.model
    computed = (
        metrics.counter(
            "public_computations_total",
            "Public answers computed from the database (the rest came from the cache)",
            ("endpoint",),
        )
        if metrics
        else None
    )

    async def cached(
        request: Request, key: tuple[Any, ...], compute: Callable[[], Awaitable[Payload]]
    ) -> Response:
        async def counted() -> Payload:
            if computed is not None:
                computed.labels(str(key[0])).inc()
            return await compute()

        payload = await cache.get(key, counted)
        return payload.response(request, CACHE_CONTROL)

    def json_payload(body: Any, media_type: str = "application/json") -> Payload:
        return Payload.of(compact_json(body), media_type)

    @router.get("/summary", summary="Totals, the count and share of each state, resolution times")
    async def public_summary(
        request: Request,
        f: Filter,
    ) -> Response:

        async def compute() -> Payload:
            body = summary(await model.counts_by_state(f), await model.resolution_hours(f))
            body["private_reports"] = await model.private_count(f)
            return json_payload(body)

        return await cached(request, ("summary", *f.key()), compute)

    @router.get("/timeseries", summary="Reports received and done per day")
    async def public_timeseries(
        request: Request,
        f: Filter,
        bucket: Annotated[str, Query(pattern="^day$", description="only `day`")] = "day",
    ) -> Response:
        until = f.until or data.today()
        since = f.since or until - timedelta(days=29)
        if since > until:
            raise InvalidInput("`from` must not be after `to`")
        if (until - since).days + 1 > MAX_DAYS:
            raise InvalidInput(f"at most {MAX_DAYS} days at a time")
        f = replace(f, since=since, until=until)

        async def compute() -> Payload:
            rows = timeseries(
                {str(k): v for k, v in (await model.counts_by(f, "received_day")).items()},
                await model.done_by_day(f),
                since,
                until,
            )
            return json_payload(
                {"bucket": bucket, "from": str(since), "to": str(until), "days": rows}
            )

        return await cached(request, ("timeseries", *f.key()), compute)

    @router.get("/by-category", summary="Reports and done per category")
    async def public_by_category(
        request: Request,
        f: Filter,
    ) -> Response:

        async def compute() -> Payload:
            rows = by_category(
                await model.counts_by(f, "category"),
                await model.counts_by(f, "category", done=True),
            )
            return json_payload({"categories": rows})

        return await cached(request, ("by-category", *f.key()), compute)

    @router.get("/by-channel", summary="Reports and done per channel (JAKI, X, e-mail, …)")
    async def public_by_channel(request: Request, f: Filter) -> Response:
        async def compute() -> Payload:
            rows = counted(
                await model.counts_by(f, "channel"), await model.counts_by(f, "channel", done=True)
            )
            return json_payload({"channels": rows})

        return await cached(request, ("by-channel", *f.key()), compute)

    @router.get("/by-area", summary="Reports and done per kota or kecamatan")
    async def public_by_area(
        request: Request,
        f: Filter,
        level: Annotated[str, Query(pattern="^(kota|kecamatan)$")] = "kota",
    ) -> Response:
        async def compute() -> Payload:
            field = f"{level}_kode"
            rows = counted(
                await model.counts_by(f, field),
                await model.counts_by(f, field, done=True),
                data.area_names,
            )
            return json_payload({"level": level, "areas": rows})

        return await cached(request, ("by-area", level, *f.key()), compute)

    @router.get(
        "/by-kelurahan",
        summary="The kelurahan polygons (simplified) with report counts, as GeoJSON",
        responses=GEOJSON,
    )
    async def public_by_kelurahan(
        request: Request,
        f: Filter,
    ) -> Response:

        async def compute() -> Payload:
            body = kelurahan_geojson(
                await data.areas(),
                {str(k): v for k, v in (await model.counts_by(f, "kelurahan_kode")).items()},
                {
                    str(k): v
                    for k, v in (await model.counts_by(f, "kelurahan_kode", done=True)).items()
                },
            )
            return json_payload(body, "application/geo+json")

        return await cached(request, ("by-kelurahan", *f.key()), compute)

    @router.get("/units", summary="SLA compliance per unit: on-time ratio, recurrence, ratings")
    async def public_units(request: Request) -> Response:
        async def compute() -> Payload:
            return json_payload({"units": unit_compliance(await model.unit_figures(), data.units)})

        return await cached(request, ("units",), compute)

    @router.get("/filters", summary="The choices of the page's filters: kota and categories")
    async def public_filters(request: Request) -> Response:
        async def compute() -> Payload:
            return json_payload({"kota": data.kotas, "categories": data.categories})

        return await cached(request, ("filters",), compute)

    def bbox_of(text: str | None) -> tuple[float, float, float, float] | None:
        if text is None:
            return None
        try:
            west, south, east, north = (float(v) for v in text.split(","))
        except ValueError as exc:
            raise InvalidInput("bbox must be west,south,east,north in degrees") from exc
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise InvalidInput("bbox must be west,south,east,north with west ≤ east, south ≤ north")
        return west, south, east, north

    async def public_rows(
        f: PublicFilter, bbox: Any = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        docs = await model.public_reports(f, bbox, limit)
        return [public_report(d, data.tz) for d in docs]

    @router.get("/reports", summary="Public reports only, redacted, coordinates rounded")
    async def public_reports(
        request: Request,
        f: Filter,
        bbox: Annotated[str | None, Query(description="west,south,east,north (degrees)")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_REPORTS)] = 500,
    ) -> Response:
        box = bbox_of(bbox)

        async def compute() -> Payload:
            return json_payload({"reports": await public_rows(f, box, limit)})

        return await cached(request, ("reports", box, limit, *f.key()), compute)

    @router.get("/export.csv", summary="Open data: the public reports as CSV", responses=CSV)
    async def export_csv(
        request: Request,
        f: Filter,
    ) -> Response:

        async def compute() -> Payload:
            return Payload.of(reports_csv(await public_rows(f)).encode(), "text/csv; charset=utf-8")

        response = await cached(request, ("export.csv", *f.key()), compute)
        response.headers["Content-Disposition"] = 'attachment; filename="aduan-publik.csv"'
        return response

    @router.get(
        "/export.geojson",
        summary="Open data: the public reports as GeoJSON points",
        responses=GEOJSON,
    )
    async def export_geojson(
        request: Request,
        f: Filter,
    ) -> Response:

        async def compute() -> Payload:
            return json_payload(reports_geojson(await public_rows(f)), "application/geo+json")

        response = await cached(request, ("export.geojson", *f.key()), compute)
        response.headers["Content-Disposition"] = 'attachment; filename="aduan-publik.geojson"'
        return response

    return router


def today_in(tz: tzinfo) -> Callable[[], date]:
    return lambda: datetime.now(tz).date()
