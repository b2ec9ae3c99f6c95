"""HTTP API of intake: report submission (202 only once Kafka acknowledged) and the channels."""

from __future__ import annotations

import hashlib
import hmac
import math
from typing import Annotated, Any

from aduan_shared.auth import Role, current_principal
from aduan_shared.errors import (
    Forbidden,
    InvalidInput,
    TooManyRequests,
    Unauthenticated,
)
from aduan_shared.logging import get_logger
from fastapi import APIRouter, Header, Request, status
from pydantic import BaseModel

from aduan_intake.channel_api import add_channel_routes
from aduan_intake.channels import FORM_CHANNELS, Channel, channel_by_id
from aduan_intake.domain import ReportSubmission
from aduan_intake.pipeline import Accepted, IntakeDeps, Pipeline
from aduan_intake.submission_body import process_photos, read_submission

log = get_logger(__name__)

__all__ = ["Accepted", "IntakeDeps", "create_api"]


class ChannelOut(BaseModel):
    id: str
    name: str
    kind: str
    enabled: bool


#: Both bodies `POST /v1/reports` accepts (parsed by submission_body.read_submission).
REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ReportSubmission.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "description": (
                        "the JSON fields (location and reporter as JSON text, or lat "
                        "and lon), plus up to 5 `photos` files"
                    ),
                }
            },
        },
    }
}


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of secrets (as bytes: any header text compares, never raises)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def create_api(deps: IntakeDeps, pipeline: Pipeline | None = None) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["intake"])
    pipeline = pipeline or Pipeline(deps)
    add_channel_routes(router, pipeline)

    def limit_public(request: Request, contact_key: str | None) -> None:
        """429 when this client IP (or this reporter's contact) sends faster than allowed."""
        keys = [f"ip:{request.client.host if request.client else 'unknown'}"]
        if contact_key:
            keys.append(f"contact:{contact_key}")
        wait = max(deps.public_limiter.allow(k) for k in keys)
        if wait > 0:
            raise TooManyRequests(
                "too many reports from here; please wait a moment",
                headers={"Retry-After": str(math.ceil(wait))},
            )

    def submission_contact_key(request: Request) -> str | None:
        contact = getattr(request.state, "contact", None)
        return hashlib.sha256(contact.encode()).hexdigest()[:32] if contact else None

    async def authenticate(request: Request, channel: Channel, api_key: str | None) -> None:
        if channel.auth == "api_key":
            expected = deps.api_keys.get(channel.id)
            if not expected or not api_key or not _same(api_key, expected):
                raise Unauthenticated(f"channel {channel.id} needs a valid X-Api-Key")
        elif channel.auth == "public":
            limit_public(request, submission_contact_key(request))
        elif channel.auth == "officer_jwt":
            principal = await current_principal(request)
            if Role.INTAKE_OFFICER not in principal.roles:
                raise Forbidden("walk-in reports are entered by an intake officer")

    @router.post(
        "/reports",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=Accepted,
        responses={
            413: {"description": "a photo over 10 MB, more than 5 photos, or a body too large"},
            415: {"description": "a photo that is not JPEG, PNG or WebP, or another body type"},
            503: {"description": "broker unreachable; retry later"},
        },
        openapi_extra=REQUEST_BODY,
        summary="Submit a report (JAKI app backend, walk-in offices, Balai Warga)",
    )
    async def submit(
        request: Request,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Accepted:
        submission, raw_photos = await read_submission(request)
        channel = channel_by_id(deps.channels, submission.channel)
        if channel is None or not channel.enabled:
            raise InvalidInput(f"unknown or disabled channel {submission.channel!r}")
        if channel.id not in FORM_CHANNELS:
            path = (
                "/open311/v2/requests.json"
                if channel.id == "open311"
                else f"/v1/channels/{channel.id}/messages"
            )
            raise InvalidInput(f"channel {channel.id!r} posts its native payload to {path}")
        if submission.reporter is not None:  # the limiter keys a reporter by phone or e-mail
            request.state.contact = submission.reporter.phone or submission.reporter.email
        await authenticate(request, channel, x_api_key)
        contact = submission.reporter
        sealed = (
            None if contact is None or contact.is_empty() else contact.model_dump(exclude_none=True)
        )
        photos = await process_photos(raw_photos)  # only for an authenticated caller
        return await pipeline.accept(submission, sealed, request.state.correlation_id, photos)

    @router.get("/channels", response_model=list[ChannelOut], summary="The channel registry")
    async def channels() -> list[ChannelOut]:
        return [
            ChannelOut(id=c.id, name=c.name, kind=c.kind, enabled=c.enabled) for c in deps.channels
        ]

    return router
