"""Channel webhooks: each channel's native payload, verified by its own signature scheme."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aduan_shared.errors import AduanError, InvalidInput, NotFound
from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from aduan_intake.channel_adapters import (
    ADAPTED_CHANNELS,
    InboundMessage,
    lapor,
    meta,
    parse,
    sms,
    twitter,
)
from aduan_intake.channel_adapters.intent import Report, StatusQuestion, classify_message
from aduan_intake.channels import FORM_CHANNELS, channel_by_id
from aduan_intake.domain import Point, ReportSubmission
from aduan_intake.pipeline import Accepted, Pipeline

NO_TEXT = "(tanpa teks)"


class NotYetSupported(AduanError):
    status, slug, title = 501, "channel-not-yet-supported", "Channel adapter not yet available"


class ChannelResult(BaseModel):
    """What one webhook delivery produced: reports made, status questions, ignored messages."""

    reports: list[Accepted]
    status_questions: list[str]
    ignored: int


def _check_channel(pipeline: Pipeline, channel: str) -> None:
    known = channel_by_id(pipeline.deps.channels, channel)
    if known is None or not known.enabled:
        raise NotFound(f"unknown or disabled channel {channel!r}")
    if channel in FORM_CHANNELS:
        raise NotFound(f"channel {channel!r} submits to /v1/reports")
    if channel not in ADAPTED_CHANNELS:
        raise NotYetSupported(f"the {channel} adapter is not available yet")


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
        body = await request.body()
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
                reports.append(
                    await pipeline.accept(
                        _submission(channel, msg), contact, request.state.correlation_id
                    )
                )
            elif isinstance(intent, StatusQuestion):
                questions.append(intent.tracking_code)  # answered by the notifier (issue 7)
            else:
                ignored += 1
        return ChannelResult(reports=reports, status_questions=questions, ignored=ignored)
