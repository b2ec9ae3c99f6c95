"""LAPOR! SP4N complaints: API key check and the complaint JSON as one inbound message."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from aduan_shared.errors import InvalidInput

from .base import (
    WIB,
    InboundMessage,
    as_dict,
    check_secret,
    dedupe,
    lat_lon,
    opt_bool,
    opt_dict,
    opt_list,
    opt_str,
    parse_iso,
    req_str,
)

CHANNEL = "lapor"
_DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def verify_api_key(expected: str, given: str | None) -> None:
    """Raise Unauthenticated unless `given` equals the configured key (constant time)."""
    check_secret(expected, given, what="LAPOR! API key")


def parse(payload: Any) -> list[InboundMessage]:
    """One LAPOR! complaint; the reporter's contact is kept only when not anonymous."""
    data = as_dict(payload, "payload")
    title = opt_str(data, "title", "payload") or ""
    content = opt_str(data, "content", "payload") or ""
    if not title and not content:
        raise InvalidInput("payload.content is required (with or without payload.title)")
    lat = lon = None
    if data.get("lat") is not None or data.get("lon") is not None:
        if data.get("lat") is None or data.get("lon") is None:
            raise InvalidInput("payload.lat and payload.lon must be given together")
        lat, lon = lat_lon(data["lat"], data["lon"], "payload")
    if "created_at" not in data:
        raise InvalidInput("payload.created_at is required")
    urls, inline = _attachments(data)
    anonymous = opt_bool(data, "is_anonymous", "payload")
    return [
        InboundMessage(
            channel=CHANNEL,
            external_id=req_str(data, "tracking_id", "payload", allow_int=True),
            text="\n".join(p for p in (title, content) if p).strip(),
            # LAPOR! is an Indonesian system: a timestamp without offset is Jakarta time
            # LAPOR! is an Indonesian system: a timestamp without an offset is Jakarta time
            received_at=parse_iso(data["created_at"], "payload.created_at", naive_tz=WIB),
            sender={} if anonymous else _reporter(data),
            lat=lat,
            lon=lon,
            photo_urls=urls,
            photo_base64=inline,
            category=opt_str(data, "category", "payload"),
            address_text=opt_str(data, "location", "payload"),
            anonymous=anonymous,
            secret=opt_bool(data, "is_secret", "payload"),
        )
    ]


def _reporter(data: dict[str, Any]) -> dict[str, str]:
    reporter = opt_dict(data, "reporter", "payload") or {}
    fields = {key: opt_str(reporter, key, "payload.reporter") for key in ("name", "phone", "email")}
    return {key: value for key, value in fields.items() if value}


def _attachments(data: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Attachment URLs and inline base64 (data: URLs unwrapped, whitespace removed, validated)."""
    urls: list[str] = []
    inline: list[str] = []
    for i, item in enumerate(opt_list(data, "attachments", "payload")):
        path = f"payload.attachments[{i}]"
        if isinstance(item, dict):
            url = opt_str(item, "url", path)
            encoded = opt_str(item, "base64", path) or opt_str(item, "data", path)
            if url is None and encoded is None:
                raise InvalidInput(f"{path} must have 'url' or 'base64'")
            value = url or encoded or ""
        elif isinstance(item, str) and item.strip():
            value = item.strip()
        else:
            raise InvalidInput(
                f"{path} must be a URL, base64 data or an object with 'url'/'base64'"
            )
        if value.lower().startswith(("https://", "http://")):
            urls.append(value)
        else:
            inline.append(_base64(value, path))
    return dedupe(urls), tuple(inline)


def _base64(value: str, path: str) -> str:
    match = _DATA_URL.match(value)
    encoded = _WHITESPACE.sub("", value[match.end() :] if match else value)
    try:
        if not encoded or not base64.b64decode(encoded, validate=True):
            raise ValueError
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{path} is neither an http(s) URL nor valid base64 data") from None
    return encoded
