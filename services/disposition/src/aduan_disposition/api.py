"""Officers' HTTP API: the cases of their unit (list, read, transitions, evidence photos)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aduan_shared.auth import Principal, current_principal
from aduan_shared.errors import CaseNotFound, NotFound
from aduan_shared.events import ReportState
from aduan_shared.photo_store import PhotoStore
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel

from aduan_disposition.access import can_see, list_scope
from aduan_disposition.adapters.cases import PAGE_SIZE, CaseStore
from aduan_disposition.domain import Case
from aduan_disposition.transition_body import parse_if_match, read_transition
from aduan_disposition.workflow import Workflow

PROBLEMS = {
    403: {"description": "wrong role, or another unit's case"},
    404: {"description": "no such case (or not one you may see)"},
    409: {"description": "not allowed from the case's current state"},
    412: {"description": "If-Match is not the case's current version"},
    413: {"description": "more than 5 photos, or a photo over 10 MB"},
    415: {"description": "a photo that is not JPEG, PNG or WebP; or another body type"},
    422: {"description": "missing or invalid fields"},
    428: {"description": "If-Match is missing"},
}
TRANSITION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/TransitionRequest"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "description": "The same fields, plus up to 5 `photos` (evidence of complete)",
                    "properties": {
                        "action": {"type": "string"},
                        "note": {"type": "string"},
                        "photos": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                    "required": ["action"],
                }
            },
        },
    }
}

Caller = Annotated[Principal, Depends(current_principal)]


class Rating(BaseModel):
    stars: int
    comment: str | None = None
    rated_at: datetime
    version: int


class CaseView(Case):
    """A case as officers see it: with the reporters following it (merged duplicates) and the
    citizen's rating."""

    followers: tuple[str, ...] = ()
    rating: Rating | None = None


class CaseSummary(BaseModel):
    report_id: str
    tracking_code: str
    state: ReportState
    label: str
    unit_id: str
    unit_name: str
    category: str
    kelurahan: str | None
    kelurahan_kode: str | None
    opened_at: datetime
    updated_at: datetime
    version: int
    estimated_completion: datetime | None
    possible_duplicate_of: str | None
    recurrence_of: str | None
    flags: tuple[str, ...]  # of the latest evidence

    @classmethod
    def of(cls, case: Case) -> CaseSummary:
        latest = case.evidence[-1] if case.evidence else None
        return cls(
            report_id=case.report_id,
            tracking_code=case.tracking_code,
            state=case.state,
            label=case.state.label,
            unit_id=case.unit_id,
            unit_name=case.unit_name,
            category=case.category,
            kelurahan=case.kelurahan.name if case.kelurahan else None,
            kelurahan_kode=case.kelurahan.kode if case.kelurahan else None,
            opened_at=case.history[0].at,
            updated_at=case.history[-1].at,
            version=case.version,
            estimated_completion=case.estimated_completion,
            possible_duplicate_of=case.possible_duplicate_of,
            recurrence_of=case.recurrence_of,
            flags=tuple(f.value for f in latest.flags) if latest else (),
        )


class CasePage(BaseModel):
    items: list[CaseSummary]
    page: int
    page_size: int
    total: int


async def case_view(cases: CaseStore, case: Case) -> CaseView:
    followers = await cases.followers(case.report_id)
    rating = await cases.rating(case.report_id)
    return CaseView.model_validate(
        {**case.model_dump(), "followers": tuple(followers), "rating": rating}
    )


def _etag(response: Response, case: Case) -> None:
    response.headers["ETag"] = f'"{case.version}"'


def create_api(cases: CaseStore, workflow: Workflow, photos: PhotoStore) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cases"])

    @router.get(
        "/cases",
        summary="Cases, newest first (a unit officer sees only their unit's)",
        responses={403: PROBLEMS[403], 422: PROBLEMS[422]},
    )
    async def list_cases(
        principal: Caller,
        state: ReportState | None = None,
        unit_id: str | None = None,
        category: str | None = None,
        kelurahan: Annotated[str | None, Query(description="kode, or name")] = None,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> CasePage:
        scope = list_scope(principal, unit_id)
        wanted: dict[str, Any] = {}
        if state is not None:
            wanted["state"] = state.value
        if category:
            wanted["category"] = category
        if kelurahan:
            by_code = any(ch.isdigit() for ch in kelurahan)
            wanted["kelurahan.kode" if by_code else "kelurahan.name"] = kelurahan
        filters = {"$and": [scope, wanted]} if scope and wanted else scope or wanted
        found, total = await cases.find(filters, page)
        return CasePage(
            items=[CaseSummary.of(c) for c in found], page=page, page_size=PAGE_SIZE, total=total
        )

    async def visible(report_id: str, principal: Principal) -> Case:
        case = await cases.get(report_id)
        if case is None or not can_see(principal, case):  # absent, never another unit's data
            raise CaseNotFound(f"no case {report_id} visible to you")
        return case

    @router.get(
        "/cases/{report_id}",
        summary="A case with its full history; ETag = version",
        responses={404: PROBLEMS[404]},
    )
    async def get_case(report_id: str, response: Response, principal: Caller) -> CaseView:
        case = await visible(report_id, principal)
        _etag(response, case)
        return await case_view(cases, case)

    @router.post(
        "/cases/{report_id}/transitions",
        summary="Move a case (If-Match: its version); complete takes evidence photos (multipart)",
        openapi_extra=TRANSITION_BODY,
        responses={s: PROBLEMS[s] for s in (403, 404, 409, 412, 413, 415, 422, 428)},
    )
    async def transition(
        report_id: str,
        request: Request,
        response: Response,
        principal: Caller,
        if_match: Annotated[str | None, Header()] = None,
    ) -> CaseView:
        versions = parse_if_match(if_match)
        body, raw_photos = await read_transition(request)
        case = await workflow.transition(
            report_id,
            body,
            principal=principal,
            if_match=versions,
            photos=raw_photos,
            correlation_id=request.state.correlation_id,
        )
        _etag(response, case)
        return await case_view(cases, case)

    @router.get(
        "/cases/{report_id}/photos/{photo_id}",
        summary="An evidence photo of the case (metadata stripped)",
        responses={404: PROBLEMS[404]},
    )
    async def evidence_photo(report_id: str, photo_id: str, principal: Caller) -> Response:
        case = await visible(report_id, principal)
        if not any(p.photo_id == photo_id for e in case.evidence for p in e.photos):
            raise NotFound(f"no evidence photo {photo_id} on case {report_id}")
        found = await photos.get(photo_id)
        if found is None:
            raise NotFound(f"photo {photo_id} is not stored")
        data, content_type = found
        return Response(
            data, media_type=content_type, headers={"Cache-Control": "private, max-age=86400"}
        )

    return router
