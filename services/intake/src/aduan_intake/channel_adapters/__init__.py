"""Channel adapters: verify and parse each channel's native webhook payload (pure, no I/O)."""

from __future__ import annotations

from typing import Any

from aduan_shared.errors import InvalidInput

from . import lapor, meta, sms, twitter
from .base import InboundMessage
from .intent import Intent, Report, StatusQuestion, Thanks, classify_intent, classify_message

#: Channels whose native payloads these adapters read.
ADAPTED_CHANNELS = frozenset({"twitter", "facebook", "leader_social", "sms_whatsapp", "lapor"})


def parse(channel: str, payload: Any) -> list[InboundMessage]:
    """The messages of one (already verified) payload of `channel`.

    `sms_whatsapp` takes either a WhatsApp Cloud API webhook (`object:
    whatsapp_business_account`) or an SMS gateway message.
    """
    if channel == "twitter":
        return twitter.parse(payload)
    if channel in ("facebook", "leader_social"):
        return meta.parse_messenger(payload, channel)
    if channel == "sms_whatsapp":
        if isinstance(payload, dict) and "object" in payload:
            return meta.parse_whatsapp(payload)
        return sms.parse(payload)
    if channel == "lapor":
        return lapor.parse(payload)
    raise InvalidInput(f"channel {channel!r} has no native payload adapter")


__all__ = [
    "ADAPTED_CHANNELS",
    "InboundMessage",
    "Intent",
    "Report",
    "StatusQuestion",
    "Thanks",
    "classify_intent",
    "classify_message",
    "lapor",
    "meta",
    "parse",
    "sms",
    "twitter",
]
