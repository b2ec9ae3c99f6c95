"""SMS gateway webhook: `X-Aduan-Signature` check and `{message_id, from, text, received_at}`."""

from __future__ import annotations

import re
from typing import Any

from aduan_shared.errors import InvalidInput

from .base import InboundMessage, as_dict, check_hmac_header, parse_iso, req_str

CHANNEL = "sms_whatsapp"
SIGNATURE_HEADER = "X-Aduan-Signature"
_PHONE_NOISE = re.compile(r"[\s\-().]")


def verify(secret: str, body: bytes, header: str | None) -> None:
    """Raise Unauthenticated unless `X-Aduan-Signature` is `sha256=<hex HMAC(secret, body)>`."""
    check_hmac_header(secret, body, header, header_name=SIGNATURE_HEADER, encoding="hex")


def normalise_phone(raw: str, field: str = "from") -> str:
    """A number as E.164: `0812…` / `62812…` / `+62 812-…` → `+62812…`."""
    number = _PHONE_NOISE.sub("", raw)
    if number.startswith("+"):
        digits = number[1:]
    elif number.startswith("00"):
        digits = number[2:]
    elif number.startswith("0"):
        digits = "62" + number[1:]
    else:
        digits = number
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        raise InvalidInput(f"{field} must be a phone number, not {raw!r}")
    return "+" + digits


def parse(payload: Any) -> list[InboundMessage]:
    """One SMS as one message; a missing or mistyped field is a 422 naming it."""
    data = as_dict(payload, "payload")
    text = data.get("text")
    if text is None:
        raise InvalidInput("payload.text is required")
    if not isinstance(text, str):
        raise InvalidInput("payload.text must be a string")
    if "received_at" not in data:
        raise InvalidInput("payload.received_at is required")
    return [
        InboundMessage(
            channel=CHANNEL,
            external_id=req_str(data, "message_id", "payload", allow_int=True),
            text=text.strip(),
            received_at=parse_iso(data["received_at"], "payload.received_at"),
            sender={"phone": normalise_phone(req_str(data, "from", "payload"), "payload.from")},
        )
    ]
