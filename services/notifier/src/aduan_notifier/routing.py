"""Which sender reaches a recipient, at which address (pure).

A reporter is answered on the channel the report (or the question) came from, at the address
the vault holds for them; a unit at its webhook, else its e-mail (contacts.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Sender names: the `channel` label of metrics, delivery records and `notification.sent`.
SMS, WHATSAPP, X_DM, META, EMAIL, LAPOR, JAKI, UNIT_WEBHOOK = (
    "sms",
    "whatsapp",
    "x_dm",
    "meta",
    "email",
    "lapor",
    "jaki",
    "unit_webhook",
)
SENDERS = (SMS, WHATSAPP, X_DM, META, EMAIL, LAPOR, JAKI, UNIT_WEBHOOK)


@dataclass(frozen=True)
class Target:
    """Where one message goes: a sender and its address fields (contact data: never logged)."""

    channel: str
    address: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Unreachable:
    """No way to reach the recipient; `reason` is recorded (never the contact)."""

    reason: str
    channel: str = "none"


@dataclass(frozen=True)
class NeedsReport:
    """The channel answers by the report's own id there (LAPOR!, JAKI, e-mail threading), which
    the notifier learns from `report.received`; not seen yet."""


@dataclass(frozen=True)
class UnitContact:
    email: str | None = None
    webhook: str | None = None
    language: str | None = None


def reporter_target(
    source_channel: str | None,
    contact: Mapping[str, Any] | None,
    external_id: str | None,
    *,
    report_known: bool,
) -> Target | Unreachable | NeedsReport:
    """The target of a reporter's message.

    `source_channel` is the channel the report or question came from, `contact` the opened
    vault entry (None: none stored), `external_id` the channel's id of the original message
    (e-mail Message-ID, LAPOR! tracking id, JAKI report id), `report_known` whether
    `report.received` was seen (so a missing `external_id` is final).
    """
    if contact is None:
        return Unreachable("no_contact")
    c = {k: str(v) for k, v in contact.items() if v}
    if source_channel in ("lapor", "jaki"):
        sender = LAPOR if source_channel == "lapor" else JAKI
        if external_id:
            return Target(sender, {"external_id": external_id, **_pick(c, "citizen_id", "handle")})
        return Unreachable("no_external_id", sender) if report_known else NeedsReport()
    if source_channel == "email" and "email" in c:
        if external_id is None and not report_known:
            return NeedsReport()
        thread = {"in_reply_to": external_id} if external_id else {}
        return Target(EMAIL, {"email": c["email"], **thread})
    if "phone_number_id" in c and "phone" in c:
        return Target(WHATSAPP, {"wa_id": c["phone"].lstrip("+"), **_pick(c, "phone_number_id")})
    if "user_id" in c:
        return Target(X_DM, {"user_id": c["user_id"]})
    for key in ("psid", "igsid"):
        if key in c:
            return Target(META, {"recipient_id": c[key], **_pick(c, "page_id")})
    if "phone" in c:
        return Target(SMS, {"phone": c["phone"]})
    if "email" in c:
        return Target(EMAIL, {"email": c["email"]})
    return Unreachable("no_usable_contact")


def unit_target(contact: UnitContact | None) -> Target | Unreachable:
    """A unit's webhook if it has one, else its e-mail."""
    if contact is None:
        return Unreachable("unit_without_contact")
    if contact.webhook:
        return Target(UNIT_WEBHOOK, {"url": contact.webhook})
    if contact.email:
        return Target(EMAIL, {"email": contact.email})
    return Unreachable("unit_without_contact")


def _pick(c: Mapping[str, str], *keys: str) -> dict[str, str]:
    return {k: c[k] for k in keys if k in c}
