"""Citizens' HTTP API, by tracking code: the timeline, its live stream (SSE), the rating, reopen.

The tracking code is the only key: a report (private or public) is opened by its code alone,
and nothing here names an officer or the reporter. The stream sends each timeline entry as an
`event: status` whose `id` is the case version (history entry i of version v; the two entries
that open a case are both version 1), so a client resuming with `Last-Event-ID` gets only what
it missed. It ends with `event: end` once the case is done or rejected; a client that resumes
after that gets 204 No Content, which tells EventSource to stop reconnecting. A case reopened
later is followed again by opening a new stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any

from aduan_shared.events import ReportState
from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from aduan_disposition.adapters.cases import CaseStore
from aduan_disposition.domain import Case, HistoryEntry, public_timeline
from aduan_disposition.live import LiveFeed
from aduan_disposition.metrics import DispositionMetrics
from aduan_disposition.workflow import Workflow

TERMINAL = frozenset({ReportState.DONE, ReportState.REJECTED})
RETRY_MS = 3000


class RatingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)


class RatingOut(BaseModel):
    stars: int
    comment: str | None
    rated_at: datetime


class ReopenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000, description="what is still wrong")

    @field_validator("note")
    @classmethod
    def not_blank(cls, note: str) -> str:
        if not note.strip():
            raise ValueError("say what is still wrong")
        return note.strip()


def versioned_history(case: Case) -> Iterator[tuple[int, HistoryEntry]]:
    """Each history entry with the case version it belongs to (the opening two: version 1)."""
    offset = case.version - (len(case.history) - 1)
    for i, entry in enumerate(case.history):
        yield max(1, i + offset), entry


def public_entry(version: int, entry: HistoryEntry) -> dict[str, Any]:
    return {
        "version": version,
        "state": entry.state.value,
        "label": entry.state.label,
        "at": entry.at.isoformat(),
        "unit_name": entry.unit_name,
    }


def sse(event: str, data: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def rating_of(cases: CaseStore, case: Case) -> dict[str, Any] | None:
    """The citizen's rating; only a case that was once done can have one (the store takes it
    only then), so the others cost no query (the tracking page is the busiest citizen call)."""
    if not any(entry.state is ReportState.DONE for entry in case.history):
        return None
    return await cases.rating(case.report_id)


def track_view(case: Case, rating: dict[str, Any] | None, reopen_days: int) -> dict[str, Any]:
    done_at = max((h.at for h in case.history if h.state is ReportState.DONE), default=None)
    reopen_until = (
        (done_at + timedelta(days=reopen_days)).isoformat()
        if done_at is not None and case.state is ReportState.DONE
        else None
    )
    return {
        "tracking_code": case.tracking_code,
        "state": case.state.value,
        "label": case.state.label,
        "unit_name": case.unit_name,
        "category": case.category,
        "kelurahan": case.kelurahan.name if case.kelurahan else None,
        "version": case.version,
        "timeline": public_timeline(case),
        "reopen_until": reopen_until,
        "rating": {"stars": rating["stars"], "comment": rating.get("comment")} if rating else None,
    }


def create_tracking(
    cases: CaseStore,
    workflow: Workflow,
    live: LiveFeed,
    metrics: DispositionMetrics,
    *,
    heartbeat_s: float = 15.0,
    max_stream_s: float = 1800.0,
) -> APIRouter:
    router = APIRouter(prefix="/v1/track", tags=["tracking"])
    reopen_days = workflow.rules.policy.reopen_window_days

    @router.get("/{tracking_code}", summary="Public timeline of a report (no identities)")
    async def track(tracking_code: str) -> dict[str, Any]:
        case = await workflow.by_code(tracking_code)
        return track_view(case, await rating_of(cases, case), reopen_days)

    async def stream(code: str, last: int) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + max_stream_s
        metrics.streams.inc()
        try:
            yield f"retry: {RETRY_MS}\n\n"
            with live.watch(code) as wake:
                while True:
                    wake.clear()  # before the reload: a change after it sets the event again
                    case = await cases.by_tracking_code(code)
                    if case is None:
                        return
                    for version, entry in versioned_history(case):
                        if version > last:
                            yield sse("status", public_entry(version, entry), version)
                    last = max(last, case.version)
                    if case.state in TERMINAL:
                        yield sse("end", {"state": case.state.value, "label": case.state.label})
                        return
                    remaining = ends_at - loop.time()
                    if remaining <= 0:
                        return  # the client reconnects with Last-Event-ID
                    try:
                        await asyncio.wait_for(wake.wait(), min(heartbeat_s, remaining))
                    except TimeoutError:
                        yield ": keep-alive\n\n"
        finally:
            metrics.streams.dec()

    @router.get(
        "/{tracking_code}/events",
        summary="Live timeline (Server-Sent Events); resumes after Last-Event-ID",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}},
            204: {"description": "the report is closed and the client has seen everything"},
            404: {"description": "no such tracking code"},
        },
    )
    async def track_events(
        tracking_code: str,
        last_event_id: Annotated[str | None, Header()] = None,
        since: Annotated[int | None, Query(ge=0, description="like Last-Event-ID")] = None,
    ) -> Response:
        case = await workflow.by_code(tracking_code)
        resumed = last_event_id.strip() if last_event_id else ""
        last = int(resumed) if resumed.isdigit() else (since or 0)
        if case.state in TERMINAL and last >= case.version:
            return Response(status_code=204)
        return StreamingResponse(
            stream(case.tracking_code, last),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @router.post(
        "/{tracking_code}/rating",
        status_code=201,
        summary="Rate the result 1-5, once, after done",
        responses={
            404: {"description": "no such tracking code"},
            409: {"description": "not done, or already rated"},
            422: {"description": "stars not 1-5, or comment too long"},
        },
    )
    async def rate(tracking_code: str, body: RatingRequest, request: Request) -> RatingOut:
        rating = await workflow.rate(
            tracking_code, body.stars, body.comment, request.state.correlation_id
        )
        return RatingOut.model_validate(rating)

    @router.post(
        "/{tracking_code}/reopen",
        summary="The reporter reopens a done report (within the city's window, 7 days)",
        responses={
            403: {"description": "the reopen window has passed"},
            404: {"description": "no such tracking code"},
            409: {"description": "the report is not done"},
            422: {"description": "no note"},
        },
    )
    async def reopen(tracking_code: str, body: ReopenRequest, request: Request) -> dict[str, Any]:
        case = await workflow.reopen_by_reporter(
            tracking_code, body.note, correlation_id=request.state.correlation_id
        )
        return track_view(case, await rating_of(cases, case), reopen_days)

    return router
