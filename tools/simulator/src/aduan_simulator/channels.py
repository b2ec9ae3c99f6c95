"""Each channel's native payload and authentication, exactly as intake accepts them.

`build(complaint, credentials)` gives an `HttpSend` (path, headers, body or form) or a `MailSend`
(an RFC 5322 message for intake's SMTP listener), plus the external id intake will see:

- jaki: `POST /v1/reports`, JSON (multipart with a photo), `X-Api-Key` (INTAKE_API_KEYS.jaki);
- balai_warga: the same body, no authentication (intake limits it per client IP);
- the 5 walk-in desks: the same body, an officer JWT with role `intake_officer`;
- twitter: an Account Activity tweet or DM, `x-twitter-webhooks-signature` (base64 HMAC);
- facebook: a Messenger `page` webhook, `X-Hub-Signature-256` (hex HMAC, the Meta app secret);
- leader_social: an Instagram messaging webhook (the Governor's account), the same signature;
- sms_whatsapp: a WhatsApp Cloud API webhook (`X-Hub-Signature-256`) or the SMS gateway's
  JSON (`X-Aduan-Signature`, hex HMAC with the gateway's key);
- lapor: a LAPOR! complaint JSON, photos inline base64, `X-Api-Key` (INTAKE_API_KEYS.lapor);
- email: RFC 5322 over SMTP, or `message/rfc822` to the gateway endpoint with its `X-Api-Key`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from aduan_shared.auth import issue_dev_token

from aduan_simulator.complaints import FORM_CHANNELS, JAKARTA_TZ, Complaint
from aduan_simulator.config import Credentials

X_ACCOUNT_ID = "2244994945"  # @DKIJakarta's user id (the webhook's for_user_id)
PAGE_ID = "200000000000001"  # Pemprov DKI's Facebook page
IG_ACCOUNT_ID = "17841400000000001"  # the Governor's Instagram account
WA_PHONE_NUMBER_ID = "100000000000001"


@dataclass(frozen=True)
class HttpSend:
    path: str
    headers: dict[str, str]
    body: bytes | None = None  # JSON or raw content (already signed)
    form: dict[str, str] | None = None  # multipart fields (with `files`)
    files: list[tuple[str, tuple[str, bytes, str]]] = field(default_factory=list)


@dataclass(frozen=True)
class MailSend:
    sender: str
    recipients: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class Outgoing:
    complaint: Complaint
    external_id: str  # as intake will see it (the report id derives from channel + this)
    send: HttpSend | MailSend


def _digits(complaint: Complaint, n: int) -> str:
    """A stable numeric id of `n` digits for the complaint (tweet ids, message ids)."""
    value = int(hashlib.sha256(complaint.external_id.encode()).hexdigest(), 16)
    return str(10 ** (n - 1) + value % (9 * 10 ** (n - 1)))


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _hex_sig(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _b64_sig(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def _ms(complaint: Complaint) -> int:
    return int(complaint.created_at.timestamp() * 1000)


# --- the form channels: POST /v1/reports --------------------------------------------------------


def form_report(c: Complaint, creds: Credentials) -> Outgoing:
    fields: dict[str, Any] = {
        "channel": c.channel,
        "external_id": c.external_id,
        "category": c.category,
        "description": c.text,
        "visibility": "public" if c.public else "private",
    }
    if c.coordinates is not None:
        lat, lon = c.coordinates
        # the app sends the phone's fix; the desks pick on a map (no accuracy)
        fields["location"] = {"lat": lat, "lon": lon} | (
            {"accuracy_m": 8.0} if c.channel == "jaki" else {}
        )
    if c.contact is not None:
        who = c.contact
        fields["reporter"] = {"name": who.name, "phone": who.phone} | (
            {"email": who.email} if c.channel != "jaki" else {}
        )
    headers: dict[str, str] = {}
    if c.channel == "jaki":
        headers["X-Api-Key"] = creds.api_keys.get("jaki", "")
    elif c.channel != "balai_warga":  # a walk-in desk: the intake officer's token
        token = issue_dev_token(
            creds.jwt_secret, sub=f"{c.channel}-desk", roles=["intake_officer"], ttl_s=12 * 3600
        )
        headers["Authorization"] = f"Bearer {token}"
    if c.photo is None:
        headers["Content-Type"] = "application/json"
        return Outgoing(c, c.external_id, HttpSend("/v1/reports", headers, body=_json(fields)))
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
    files = [("photos", (f"foto-{c.seq}.jpg", c.photo, "image/jpeg"))]
    return Outgoing(c, c.external_id, HttpSend("/v1/reports", headers, form=form, files=files))


# --- X (Twitter) Account Activity API ---------------------------------------------------------


def twitter(c: Complaint, creds: Credentials) -> Outgoing:
    assert c.contact is not None
    tid, uid = _digits(c, 19), _digits(c, 10)
    user = {"id": int(uid), "id_str": uid, "screen_name": c.contact.handle, "name": c.contact.name}
    point = [c.coordinates[1], c.coordinates[0]] if c.coordinates else None
    payload: dict[str, Any] = {"for_user_id": X_ACCOUNT_ID}
    if int(tid) % 4 == 0:  # a direct message to the account
        data: dict[str, Any] = {"text": c.text}
        if point is not None:
            data["attachment"] = {
                "type": "location",
                "location": {
                    "type": "shared_coordinate",
                    "shared_coordinate": {"coordinates": {"type": "Point", "coordinates": point}},
                },
            }
        payload["direct_message_events"] = [
            {
                "type": "message_create",
                "id": tid,
                "created_timestamp": str(_ms(c)),
                "message_create": {
                    "target": {"recipient_id": X_ACCOUNT_ID},
                    "sender_id": uid,
                    "message_data": data,
                },
            }
        ]
        payload["users"] = {uid: user}
    else:  # a public mention
        text = f"@DKIJakarta {c.text}"
        tweet: dict[str, Any] = {
            "created_at": c.created_at.strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "id": int(tid),
            "id_str": tid,
            "text": text[:140],
            "truncated": len(text) > 140,
            "user": user,
            "coordinates": {"type": "Point", "coordinates": point} if point else None,
            "in_reply_to_status_id_str": None,
            "timestamp_ms": str(_ms(c)),
        }
        if len(text) > 140:
            tweet["extended_tweet"] = {"full_text": text}
        payload["tweet_create_events"] = [tweet]
    body = _json(payload)
    headers = {
        "Content-Type": "application/json",
        "x-twitter-webhooks-signature": _b64_sig(creds.twitter_secret, body),
    }
    return Outgoing(c, tid, HttpSend("/v1/channels/twitter/messages", headers, body=body))


# --- Meta: Facebook page (Messenger), Instagram (the Governor's account), WhatsApp ------------


def messenger(c: Complaint, creds: Credentials) -> Outgoing:
    instagram = c.channel == "leader_social"
    own, sender = (IG_ACCOUNT_ID, _digits(c, 17)) if instagram else (PAGE_ID, _digits(c, 16))
    mid = f"m_{hashlib.sha256(c.external_id.encode()).hexdigest()[:40]}"
    message: dict[str, Any] = {"mid": mid, "text": c.text}
    if c.coordinates is not None:
        lat, lon = c.coordinates
        message["attachments"] = [
            {"type": "location", "payload": {"coordinates": {"lat": lat, "long": lon}}}
        ]
    event = {
        "sender": {"id": sender},
        "recipient": {"id": own},
        "timestamp": _ms(c),
        "message": message,
    }
    payload = {
        "object": "instagram" if instagram else "page",
        "entry": [{"id": own, "time": _ms(c), "messaging": [event]}],
    }
    body = _json(payload)
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": _hex_sig(creds.meta_secret, body),
    }
    return Outgoing(c, mid, HttpSend(f"/v1/channels/{c.channel}/messages", headers, body=body))


def sms_whatsapp(c: Complaint, creds: Credentials) -> Outgoing:
    """Two thirds by WhatsApp (Cloud API webhook), one third by SMS (the gateway's JSON)."""
    assert c.contact is not None
    number = c.contact.phone.lstrip("+")
    path = "/v1/channels/sms_whatsapp/messages"
    if int(_digits(c, 6)) % 3:
        wamid = f"wamid.{base64.b64encode(c.external_id.encode()).decode().rstrip('=')}"
        message = {
            "from": number,
            "id": wamid,
            "timestamp": str(int(c.created_at.timestamp())),
            "type": "text",
            "text": {"body": c.text},
        }
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "628111272206",
                "phone_number_id": WA_PHONE_NUMBER_ID,
            },
            "contacts": [{"profile": {"name": c.contact.name}, "wa_id": number}],
            "messages": [message],
        }
        payload = {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "300000000000001", "changes": [{"field": "messages", "value": value}]}
            ],
        }
        body = _json(payload)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": _hex_sig(creds.meta_secret, body),
        }
        return Outgoing(c, wamid, HttpSend(path, headers, body=body))
    message_id = f"sms-{_digits(c, 12)}"
    sms = {
        "message_id": message_id,
        "from": "0" + number.removeprefix("62"),  # as operators deliver it: 0812…
        "text": c.text,
        "received_at": c.created_at.isoformat(),
    }
    body = _json(sms)
    headers = {
        "Content-Type": "application/json",
        "X-Aduan-Signature": _hex_sig(creds.sms_secret, body),
    }
    return Outgoing(c, message_id, HttpSend(path, headers, body=body))


# --- LAPOR! SP4N ------------------------------------------------------------------------------


def lapor(c: Complaint, creds: Credentials) -> Outgoing:
    tracking_id = f"LAPOR-{_digits(c, 10)}"
    title = c.text.partition(".")[0]
    payload: dict[str, Any] = {
        "tracking_id": tracking_id,
        "title": title.strip()[:120],
        "content": c.text,
        "category": c.category,
        "created_at": c.created_at.astimezone(JAKARTA_TZ).isoformat(timespec="seconds"),
        "is_anonymous": c.contact is None,
        "is_secret": False,
        "attachments": [],
    }
    if c.coordinates is not None:
        payload["lat"], payload["lon"] = c.coordinates
    if c.location_mode != "none":
        kel = c.place.kelurahan
        payload["location"] = f"Kel. {kel.name}, Kec. {kel.kecamatan}, {kel.kota}"
    if c.contact is not None:
        who = c.contact
        payload["reporter"] = {"name": who.name, "phone": who.phone, "email": who.email}
    if c.photo is not None:
        payload["attachments"] = [{"base64": base64.b64encode(c.photo).decode()}]
    body = _json(payload)
    headers = {"Content-Type": "application/json", "X-Api-Key": creds.api_keys.get("lapor", "")}
    return Outgoing(c, tracking_id, HttpSend("/v1/channels/lapor/messages", headers, body=body))


# --- e-mail ---------------------------------------------------------------------------------


def email_message(c: Complaint, creds: Credentials) -> tuple[EmailMessage, str]:
    """The citizen's mail and its Message-ID (without brackets: intake's external id)."""
    assert c.contact is not None
    message_id = f"{c.external_id}@mail.example"
    msg = EmailMessage()
    msg["From"] = f"{c.contact.name} <{c.contact.email}>"
    msg["To"] = creds.complaint_address
    msg["Subject"] = f"Pengaduan: {c.category}"
    msg["Date"] = format_datetime(c.created_at)
    msg["Message-ID"] = f"<{message_id}>"
    msg.set_content(f"Yth. Pemprov DKI Jakarta,\n\n{c.text}\n\nHormat saya,\n{c.contact.name}\n")
    if c.photo is not None:
        msg.add_attachment(c.photo, maintype="image", subtype="jpeg", filename=f"foto-{c.seq}.jpg")
    return msg, message_id


def email(c: Complaint, creds: Credentials, *, smtp: bool) -> Outgoing:
    msg, message_id = email_message(c, creds)
    # RFC 5322 / SMTP lines end in CRLF (smtplib sends bytes as they are)
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    if smtp:
        assert c.contact is not None
        return Outgoing(c, message_id, MailSend(c.contact.email, (creds.complaint_address,), raw))
    headers = {"Content-Type": "message/rfc822", "X-Api-Key": creds.api_keys.get("email", "")}
    return Outgoing(c, message_id, HttpSend("/v1/channels/email/messages", headers, body=raw))


def build(c: Complaint, creds: Credentials, *, smtp: bool = True) -> Outgoing:
    """The complaint in its channel's native format, authenticated as that channel is."""
    if c.channel in FORM_CHANNELS:
        return form_report(c, creds)
    if c.channel == "twitter":
        return twitter(c, creds)
    if c.channel in ("facebook", "leader_social"):
        return messenger(c, creds)
    if c.channel == "sms_whatsapp":
        return sms_whatsapp(c, creds)
    if c.channel == "lapor":
        return lapor(c, creds)
    if c.channel == "email":
        return email(c, creds, smtp=smtp)
    raise ValueError(f"no payload builder for channel {c.channel!r}")
