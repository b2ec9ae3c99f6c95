"""HTTP API of intake: report submission (202 only once Kafka acknowledged) and the channels."""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass, field
from typing import Annotated, Literal

from aduan_shared.auth import Role, current_principal
from aduan_shared.errors import (
    Forbidden,
    InvalidInput,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
)
from aduan_shared.events import utcnow
from aduan_shared.kafka import Publisher, PublishFailed
from aduan_shared.logging import get_logger
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.vault import seal
from fastapi import APIRouter, Header, Request, status
from pydantic import BaseModel

from aduan_intake.adapters.store import ReportStore, TrackingCodeTaken, Vault
from aduan_intake.channels import FORM_CHANNELS, WALK_IN, Channel, channel_by_id
from aduan_intake.domain import ReportSubmission, new_report_id, received_event, reporter_ref_for
from aduan_intake.ratelimit import RateLimiter

log = get_logger(__name__)
MAX_TRACKING_ATTEMPTS = 8


class Accepted(BaseModel):
    report_id: str
    tracking_code: str
    status: Literal["received"] = "received"


class ChannelOut(BaseModel):
    id: str
    name: str
    kind: str
    enabled: bool


@dataclass
class IntakeDeps:
    channels: tuple[Channel, ...]
    api_keys: dict[str, str]
    vault_public_key: str
    tracking_prefix: str
    reports: ReportStore
    vault: Vault
    publisher: Publisher
    metrics: ServiceMetrics
    public_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0.1, 5))


def create_api(deps: IntakeDeps) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["intake"])
    received_total = deps.metrics.counter(
        "reports_received_total", "Reports accepted (202)", ("channel",)
    )

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
            if not expected or not api_key or not hmac.compare_digest(api_key, expected):
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
        responses={503: {"description": "broker unreachable; retry later"}},
        summary="Submit a report (JAKI app backend, walk-in offices, Balai Warga)",
    )
    async def submit(
        submission: ReportSubmission,
        request: Request,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Accepted:
        channel = channel_by_id(deps.channels, submission.channel)
        if channel is None or not channel.enabled:
            raise InvalidInput(f"unknown or disabled channel {submission.channel!r}")
        if channel.id not in FORM_CHANNELS:
            raise InvalidInput(
                f"channel {channel.id!r} posts its native payload to "
                f"/v1/channels/{channel.id}/messages"
            )
        if submission.reporter is not None:  # the limiter keys a reporter by phone or e-mail
            request.state.contact = submission.reporter.phone or submission.reporter.email
        await authenticate(request, channel, x_api_key)
        report_id = new_report_id(submission)
        contact = submission.reporter
        has_contact = contact is not None and not contact.is_empty()
        reporter_ref = reporter_ref_for(report_id) if has_contact else None
        now = utcnow()
        if contact is not None and reporter_ref is not None:
            sealed = seal(deps.vault_public_key, contact.model_dump(exclude_none=True))
            await deps.vault.put(reporter_ref, sealed, channel.id)
        for attempt in range(MAX_TRACKING_ATTEMPTS):  # a code taken by another report: next one
            event = received_event(
                submission,
                report_id=report_id,
                now=now,
                correlation_id=request.state.correlation_id,
                tracking_prefix=deps.tracking_prefix,
                reporter_ref=reporter_ref,
                attempt=attempt,
            )
            try:
                stored, inserted = await deps.reports.accept(event)
                break
            except TrackingCodeTaken:
                log.warning("tracking_code_collision", attempt=attempt)
        else:
            raise ServiceUnavailable("could not assign a tracking code; retry", retry_after_s=1)
        try:
            await deps.publisher.publish(stored)
        except PublishFailed:
            if inserted:  # nothing half-written: the caller was told to retry
                await deps.reports.forget(stored)
                if reporter_ref is not None:
                    await deps.vault.forget(reporter_ref)
            raise
        received_total.labels(channel.id).inc()
        log.info(
            "report_received",
            report_id=str(stored.report_id),
            channel=channel.id,
            duplicate=not inserted,
            walk_in=channel.id in WALK_IN,
        )
        return Accepted(report_id=str(stored.report_id), tracking_code=stored.tracking_code)

    @router.get("/channels", response_model=list[ChannelOut], summary="The channel registry")
    async def channels() -> list[ChannelOut]:
        return [
            ChannelOut(id=c.id, name=c.name, kind=c.kind, enabled=c.enabled) for c in deps.channels
        ]

    return router
