"""Meta webhooks: Facebook page and Instagram messaging, and the WhatsApp Cloud API."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Any

from aduan_shared.errors import InvalidInput, Unauthenticated

from .base import (
    InboundMessage,
    as_dict,
    check_hmac_header,
    dedupe,
    from_epoch,
    lat_lon,
    opt_bool,
    opt_dict,
    opt_list,
    opt_str,
    req_str,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"
WHATSAPP_CHANNEL = "sms_whatsapp"
_MESSENGER_OBJECTS = {"page": "psid", "instagram": "igsid"}
_DIGITS = re.compile(r"\d{5,15}")


def verify_handshake(verify_token: str, params: Mapping[str, str]) -> str:
    """The `hub.challenge` to echo for a subscription check; Unauthenticated otherwise."""
    if params.get("hub.mode") != "subscribe":
        raise Unauthenticated("hub.mode must be 'subscribe'")
    given = params.get("hub.verify_token") or ""
    if not verify_token or not hmac.compare_digest(verify_token.encode(), given.encode()):
        raise Unauthenticated("hub.verify_token does not match")
    challenge = params.get("hub.challenge")
    if not challenge:
        raise InvalidInput("hub.challenge is required")
    return challenge


def verify(app_secret: str, body: bytes, header: str | None) -> None:
    """Raise Unauthenticated unless `X-Hub-Signature-256` is `sha256=<hex HMAC(secret, body)>`."""
    check_hmac_header(app_secret, body, header, header_name=SIGNATURE_HEADER, encoding="hex")


# --- Messenger (page) and Instagram ----------------------------------------------------------


def parse_messenger(payload: Any, channel: str) -> list[InboundMessage]:
    """Messages of a page / instagram webhook; echoes, receipts, reactions and postbacks give []."""
    data = as_dict(payload, "payload")
    kind = data.get("object")
    if kind not in _MESSENGER_OBJECTS:
        raise InvalidInput(f"object must be 'page' or 'instagram', not {kind!r}")
    id_key = _MESSENGER_OBJECTS[kind]
    messages: list[InboundMessage] = []
    for i, raw_entry in enumerate(opt_list(data, "entry", "payload")):
        entry_path = f"entry[{i}]"
        entry = as_dict(raw_entry, entry_path)
        own_id = entry.get("id")
        for j, raw_event in enumerate(opt_list(entry, "messaging", entry_path)):
            path = f"{entry_path}.messaging[{j}]"
            message = _messenger_event(as_dict(raw_event, path), path, channel, id_key)
            if message is not None and message.sender.get(id_key) != str(own_id):
                messages.append(message)
    return messages


def _messenger_event(
    event: dict[str, Any], path: str, channel: str, id_key: str
) -> InboundMessage | None:
    message = opt_dict(event, "message", path)
    if message is None:
        return None  # delivery, read, reaction, postback, optin…
    msg_path = f"{path}.message"
    if opt_bool(message, "is_echo", msg_path) or opt_bool(message, "is_deleted", msg_path):
        return None
    sender_obj = as_dict(event.get("sender"), f"{path}.sender")
    sender = {id_key: req_str(sender_obj, "id", f"{path}.sender", allow_int=True)}
    recipient = event.get("recipient")
    if isinstance(recipient, dict) and isinstance(recipient.get("id"), str | int):
        sender["page_id"] = str(recipient["id"])
    photos: list[str] = []
    lat = lon = None
    if message.get("sticker_id") is None:  # a sticker (the "like" thumb) is not a photo
        for k, raw in enumerate(opt_list(message, "attachments", msg_path)):
            att_path = f"{msg_path}.attachments[{k}]"
            attachment = as_dict(raw, att_path)
            body = opt_dict(attachment, "payload", att_path) or {}
            if attachment.get("type") == "image":
                url = opt_str(body, "url", f"{att_path}.payload")
                if url:
                    photos.append(url)
            elif attachment.get("type") == "location":
                coords = as_dict(body.get("coordinates"), f"{att_path}.payload.coordinates")
                lat, lon = lat_lon(coords.get("lat"), coords.get("long"), f"{att_path}.payload")
    return InboundMessage(
        channel=channel,
        external_id=req_str(message, "mid", msg_path),
        text=opt_str(message, "text", msg_path) or "",
        received_at=from_epoch(event.get("timestamp"), f"{path}.timestamp", unit="ms"),
        sender=sender,
        lat=lat,
        lon=lon,
        photo_urls=dedupe(photos),
        is_reply=message.get("reply_to") is not None,
    )


# --- WhatsApp Cloud API ----------------------------------------------------------------------


def parse_whatsapp(payload: Any) -> list[InboundMessage]:
    """Text, image and location messages; status updates and other types give []."""
    data = as_dict(payload, "payload")
    if data.get("object") != "whatsapp_business_account":
        raise InvalidInput(
            f"object must be 'whatsapp_business_account', not {data.get('object')!r}"
        )
    messages: list[InboundMessage] = []
    for i, raw_entry in enumerate(opt_list(data, "entry", "payload")):
        entry_path = f"entry[{i}]"
        entry = as_dict(raw_entry, entry_path)
        for j, raw_change in enumerate(opt_list(entry, "changes", entry_path)):
            change_path = f"{entry_path}.changes[{j}]"
            change = as_dict(raw_change, change_path)
            value = opt_dict(change, "value", change_path)
            if value is None:
                continue
            value_path = f"{change_path}.value"
            names = _contact_names(value, value_path)
            metadata = opt_dict(value, "metadata", value_path) or {}
            business_number = metadata.get("phone_number_id")
            for k, raw in enumerate(opt_list(value, "messages", value_path)):
                path = f"{value_path}.messages[{k}]"
                message = _whatsapp_message(as_dict(raw, path), path, names)
                if message is not None and isinstance(business_number, str) and business_number:
                    message.sender["phone_number_id"] = business_number
                if message is not None:
                    messages.append(message)
    return messages


def _contact_names(value: dict[str, Any], path: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for i, raw in enumerate(opt_list(value, "contacts", path)):
        contact = as_dict(raw, f"{path}.contacts[{i}]")
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, dict) else None
        if isinstance(name, str) and name.strip():
            names[str(contact.get("wa_id", ""))] = name.strip()
    return names


def _whatsapp_message(
    msg: dict[str, Any], path: str, names: dict[str, str]
) -> InboundMessage | None:
    kind = msg.get("type")
    if kind not in ("text", "image", "location"):
        return None  # reaction, sticker, audio, system, unsupported…
    number = req_str(msg, "from", path, allow_int=True).lstrip("+")
    if not _DIGITS.fullmatch(number):
        raise InvalidInput(f"{path}.from must be a phone number in international digits")
    sender = {"phone": "+" + number}
    name = names.get(number) or (next(iter(names.values())) if len(names) == 1 else None)
    if name:
        sender["name"] = name
    text, address = "", None
    lat = lon = None
    media_ids: tuple[str, ...] = ()
    if kind == "text":
        text = req_str(as_dict(msg.get("text"), f"{path}.text"), "body", f"{path}.text")
    elif kind == "image":
        image = as_dict(msg.get("image"), f"{path}.image")
        media_ids = (req_str(image, "id", f"{path}.image"),)
        text = opt_str(image, "caption", f"{path}.image") or ""
    else:
        loc = as_dict(msg.get("location"), f"{path}.location")
        lat, lon = lat_lon(loc.get("latitude"), loc.get("longitude"), f"{path}.location")
        parts = [opt_str(loc, key, f"{path}.location") for key in ("name", "address")]
        address = ", ".join(p for p in parts if p) or None
    context = msg.get("context")
    return InboundMessage(
        channel=WHATSAPP_CHANNEL,
        external_id=req_str(msg, "id", path),
        text=text,
        received_at=from_epoch(msg.get("timestamp"), f"{path}.timestamp", unit="s"),
        sender=sender,
        lat=lat,
        lon=lon,
        photo_media_ids=media_ids,
        address_text=address,
        # `context.id` is the message replied to; a forwarded message has context without id
        is_reply=isinstance(context, dict) and bool(context.get("id")),
    )
