"""Channel webhooks: each channel's native payload, verified by its own signature scheme."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from aduan_shared.errors import (
    AduanError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from aduan_shared.events import utcnow
from aduan_shared.logging import get_logger
from aduan_shared.photos import ProcessedPhoto, process_photo
from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from aduan_intake.channel_adapters import (
    ADAPTED_CHANNELS,
    InboundMessage,
    email,
    lapor,
    meta,
    parse,
    sms,
    twitter,
)
from aduan_intake.channel_adapters.base import check_secret
from aduan_intake.channel_adapters.intent import Report, StatusQuestion, classify_message
from aduan_intake.channels import FORM_CHANNELS, channel_by_id
from aduan_intake.domain import Point, ReportSubmission
from aduan_intake.pipeline import Accepted, Pipeline

NO_TEXT = "(tanpa teks)"
#: Body limits: social webhooks are small; LAPOR! (inline base64 photos) and mail carry photos.
MAX_WEBHOOK_BYTES = 1024 * 1024
MAX_MEDIA_BODY_BYTES = 80 * 1024 * 1024
MEDIA_CHANNELS = frozenset({"lapor", "email"})
log = get_logger(__name__)


class NotYetSupported(AduanError):
    status, slug, title = 501, "channel-not-yet-supported", "Channel adapter not yet available"


class ChannelResult(BaseModel):
    """What one webhook delivery produced: reports made, status questions, ignored messages."""

    reports: list[Accepted]
    status_questions: list[str]
    ignored: int
    attached_to: list[str] = []  # tracking codes of the reports a reply belongs to


def _check_channel(pipeline: Pipeline, channel: str) -> None:
    known = channel_by_id(pipeline.deps.channels, channel)
    if known is None or not known.enabled:
        raise NotFound(f"unknown or disabled channel {channel!r}")
    if channel in FORM_CHANNELS:
        raise NotFound(f"channel {channel!r} submits to /v1/reports")
    if channel == "open311":
        raise NotFound("Open311 clients submit to /open311/v2/requests.json")
    if channel not in ADAPTED_CHANNELS and channel != "email":
        raise NotYetSupported(f"the {channel} adapter is not available yet")


async def _bounded_body(request: Request, channel: str) -> bytes:
    """The body, refused with 413 when it is larger than the channel can need."""
    limit = MAX_MEDIA_BODY_BYTES if channel in MEDIA_CHANNELS else MAX_WEBHOOK_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"a {channel} message is at most {limit // (1024 * 1024)} MB")
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"a {channel} message is at most {limit // (1024 * 1024)} MB")
    return body


def _verify(pipeline: Pipeline, channel: str, body: bytes, headers: Mapping[str, str]) -> None:
    """Check the channel's authenticity scheme (401 otherwise) before reading the body."""
    secrets = pipeline.deps.secrets
    if channel == "twitter":
        twitter.verify(
            secrets.twitter_consumer_secret, body, headers.get("x-twitter-webhooks-signature")
        )
    elif channel == "lapor":
        lapor.verify_api_key(pipeline.deps.api_keys.get("lapor", ""), headers.get("x-api-key"))
    elif channel == "sms_whatsapp" and "x-aduan-signature" in headers:
        sms.verify(secrets.sms_gateway_secret, body, headers.get("x-aduan-signature"))
    else:  # facebook, leader_social, WhatsApp Cloud API
        meta.verify(secrets.meta_app_secret, body, headers.get("x-hub-signature-256"))


def _submission(channel: str, msg: InboundMessage) -> ReportSubmission:
    location = (
        Point(lat=msg.lat, lon=msg.lon) if msg.lat is not None and msg.lon is not None else None
    )
    return ReportSubmission(
        channel=channel,
        external_id=msg.external_id,
        category=msg.category,
        description=msg.text.strip() or NO_TEXT,
        location=location,
        address_text=msg.address_text,
        visibility="private",
    )


def add_channel_routes(router: APIRouter, pipeline: Pipeline) -> None:
    secrets = pipeline.deps.secrets

    @router.get(
        "/channels/{channel}/messages",
        tags=["channels"],
        summary="Webhook verification: X CRC challenge, Meta verify-token handshake",
        responses={
            200: {
                "description": "X: the CRC response (JSON); Meta: the challenge (plain text)",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            401: {"description": "the verify token does not match"},
            404: {"description": "unknown or disabled channel, or one without a handshake"},
        },
    )
    async def handshake(channel: str, request: Request) -> Response:
        _check_channel(pipeline, channel)
        params = request.query_params
        if channel == "twitter":
            token = params.get("crc_token")
            if not token:
                raise InvalidInput("crc_token is required")
            return JSONResponse(twitter.crc_response(secrets.twitter_consumer_secret, token))
        if channel in {"facebook", "leader_social", "sms_whatsapp"}:
            return PlainTextResponse(meta.verify_handshake(secrets.meta_verify_token, params))
        raise NotFound(f"channel {channel!r} has no webhook handshake")

    @router.post(
        "/channels/{channel}/messages",
        tags=["channels"],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=ChannelResult,
        summary="A channel's native payload (signature checked); reports made from it",
    )
    async def messages(channel: str, request: Request) -> ChannelResult:
        _check_channel(pipeline, channel)
        body = await _bounded_body(request, channel)
        if channel == "email":
            return await _email(pipeline, request, body)
        _verify(pipeline, channel, body, request.headers)
        try:
            payload: Any = json.loads(body)
        except ValueError as exc:
            raise InvalidInput(f"body is not valid JSON: {exc}") from exc
        reports: list[Accepted] = []
        questions: list[str] = []
        ignored = 0
        prefixes = (pipeline.deps.tracking_prefix,)
        for msg in parse(channel, payload):
            intent = classify_message(msg, prefixes=prefixes)
            if isinstance(intent, Report):
                contact = None if msg.anonymous else (dict(msg.sender) or None)
                fetcher = pipeline.deps.photo_fetcher
                raws = (
                    await fetcher.gather(msg.photo_urls, msg.photo_base64, msg.photo_media_ids)
                    if fetcher
                    else []
                )
                photos = await process_quietly(raws)
                reports.append(
                    await pipeline.accept(
                        _submission(channel, msg), contact, request.state.correlation_id, photos
                    )
                )
            elif isinstance(intent, StatusQuestion):
                contact = None if msg.anonymous else (dict(msg.sender) or None)
                code = intent.tracking_code or None
                await pipeline.ask_status(
                    channel, msg.external_id, code, contact, request.state.correlation_id
                )
                questions.append(intent.tracking_code)
            else:
                ignored += 1
        return ChannelResult(reports=reports, status_questions=questions, ignored=ignored)


async def _email(pipeline: Pipeline, request: Request, body: bytes) -> ChannelResult:
    """The mail gateway's endpoint: its API key, `message/rfc822`, then `accept_email`."""
    check_secret(pipeline.deps.api_keys.get("email", ""), request.headers.get("x-api-key"))
    if request.headers.get("content-type", "").split(";")[0].strip() != "message/rfc822":
        raise UnsupportedMediaType("the mail gateway posts message/rfc822")
    return await accept_email(pipeline, body, request.state.correlation_id)


async def accept_email(pipeline: Pipeline, raw: bytes, correlation_id: str) -> ChannelResult:
    """A raw mail (from the gateway or the SMTP listener): a reply to a mail that became a
    report is attached to that report; a new mail is a report with its images as photos."""
    deps = pipeline.deps
    mail = email.parse_email(
        raw, received_at=utcnow(), complaint_addresses=deps.complaint_addresses
    )
    earlier = await deps.reports.by_external_ids("email", mail.in_reply_to)
    if earlier is not None:
        return ChannelResult(
            reports=[], status_questions=[], ignored=0, attached_to=[earlier.tracking_code]
        )
    msg = mail.message
    intent = classify_message(msg, prefixes=(deps.tracking_prefix,))
    if isinstance(intent, StatusQuestion):
        code = intent.tracking_code or None
        await pipeline.ask_status("email", msg.external_id, code, dict(msg.sender), correlation_id)
        return ChannelResult(reports=[], status_questions=[intent.tracking_code], ignored=0)
    if not isinstance(intent, Report) and not mail.photos:
        return ChannelResult(reports=[], status_questions=[], ignored=1)
    photos = await process_quietly(list(mail.photos))
    accepted = await pipeline.accept(
        _submission("email", msg), dict(msg.sender), correlation_id, photos
    )
    return ChannelResult(reports=[accepted], status_questions=[], ignored=0)


async def process_quietly(raws: list[bytes]) -> tuple[ProcessedPhoto, ...]:
    """Decode a channel's photos; one unusable photo does not lose the complaint."""
    photos = []
    for data in raws:
        try:
            photos.append(await asyncio.to_thread(process_photo, data))
        except AduanError as exc:
            log.warning("channel_photo_skipped", error=exc.detail)
    return tuple(photos)
