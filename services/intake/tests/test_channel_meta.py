"""Meta adapter: handshake, X-Hub-Signature-256, Messenger/Instagram and WhatsApp Cloud API."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from aduan_intake.channel_adapters import meta, parse
from aduan_shared.errors import InvalidInput, Unauthenticated

APP_SECRET = "meta-app-secret"
PAGE_ID = "110200300400500"


def _sig(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- handshake and signature ------------------------------------------------------------------


def test_handshake_echoes_the_challenge() -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": "aduan-vt",
        "hub.challenge": "1158201444",
    }
    assert meta.verify_handshake("aduan-vt", params) == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "aduan-vt", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_handshake_refuses_wrong_token_or_mode(params: dict[str, str]) -> None:
    with pytest.raises(Unauthenticated):
        meta.verify_handshake("aduan-vt", params)


def test_handshake_with_unconfigured_token_is_refused() -> None:
    with pytest.raises(Unauthenticated):
        meta.verify_handshake(
            "", {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        )


def test_signature_is_hex_hmac_of_the_raw_body() -> None:
    body = json.dumps({"object": "page", "entry": []}).encode()
    meta.verify(APP_SECRET, body, _sig(APP_SECRET, body))
    meta.verify(APP_SECRET, body, _sig(APP_SECRET, body).upper().replace("SHA256=", "sha256="))


@pytest.mark.parametrize(
    "header", [None, "", "sha256=00", "sha1=abc", _sig("other", b"{}"), _sig(APP_SECRET, b"{} ")]
)
def test_wrong_or_missing_signature_is_401(header: str | None) -> None:
    with pytest.raises(Unauthenticated) as err:
        meta.verify(APP_SECRET, b"{}", header)
    assert err.value.status == 401


# --- Messenger / Instagram --------------------------------------------------------------------


def _messaging(message: dict[str, Any] | None = None, **event: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sender": {"id": "2519476461483829"},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1700000000123,
    }
    if message is not None:
        base["message"] = message
    base.update(event)
    return base


def _page(*events: dict[str, Any], kind: str = "page") -> dict[str, Any]:
    return {
        "object": kind,
        "entry": [{"id": PAGE_ID, "time": 1700000000200, "messaging": list(events)}],
    }


def test_page_text_message() -> None:
    event = _messaging({"mid": "m_AbC1", "text": "Lampu PJU mati di Jl. Tebet Raya, gelap bgt min"})
    [msg] = meta.parse_messenger(_page(event), "facebook")
    assert msg.channel == "facebook"
    assert msg.external_id == "m_AbC1"
    assert msg.text == "Lampu PJU mati di Jl. Tebet Raya, gelap bgt min"
    assert msg.received_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert msg.sender == {"psid": "2519476461483829", "page_id": PAGE_ID}
    assert not msg.is_reply


def test_page_message_with_image_and_location() -> None:
    message = {
        "mid": "m_Photo",
        "text": "got mampet, air meluap ke jalan",
        "attachments": [
            {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1/got.jpg"}},
            {"type": "location", "payload": {"coordinates": {"lat": -6.2297, "long": 106.8295}}},
            {"type": "video", "payload": {"url": "https://video.xx.fbcdn.net/v.mp4"}},
        ],
    }
    [msg] = meta.parse_messenger(_page(_messaging(message)), "facebook")
    assert msg.photo_urls == ("https://scontent.xx.fbcdn.net/v/t1/got.jpg",)
    assert (msg.lat, msg.lon) == (-6.2297, 106.8295)


def test_instagram_dm_for_leader_social_and_reply() -> None:
    message = {"mid": "aWdfZAG1", "text": "Makasih pak gub 🙏🙏", "reply_to": {"mid": "aWdfZAG0"}}
    [msg] = meta.parse_messenger(_page(_messaging(message), kind="instagram"), "leader_social")
    assert msg.channel == "leader_social"
    assert msg.sender["igsid"] == "2519476461483829"
    assert msg.is_reply


def test_echoes_receipts_stickers_and_own_messages_are_not_reports() -> None:
    echo = _messaging({"mid": "m_echo", "is_echo": True, "app_id": 1517, "text": "Terima kasih"})
    delivery = _messaging(delivery={"mids": ["m_1"], "watermark": 1700000000000})
    read = _messaging(read={"watermark": 1700000000000})
    reaction = _messaging(reaction={"mid": "m_1", "action": "react", "emoji": "❤"})
    own = {**_messaging({"mid": "m_own", "text": "halo"}), "sender": {"id": PAGE_ID}}
    assert meta.parse_messenger(_page(echo, delivery, read, reaction, own), "facebook") == []
    like = {
        "mid": "m_like",
        "sticker_id": 369239263222822,
        "attachments": [{"type": "image", "payload": {"url": "https://x/like.png"}}],
    }
    [msg] = meta.parse_messenger(_page(_messaging(like)), "facebook")
    assert msg.photo_urls == () and msg.text == ""


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ("[]", "payload"),
        ({"object": "user", "entry": []}, "object"),
        ({"object": "page", "entry": {}}, "payload.entry"),
        ({"object": "page", "entry": [{"messaging": ["x"]}]}, "entry[0].messaging[0]"),
        (_page(_messaging({"text": "hai"})), "entry[0].messaging[0].message.mid"),
        (_page({**_messaging({"mid": "m"}), "sender": None}), "entry[0].messaging[0].sender"),
        (_page({**_messaging({"mid": "m"}), "timestamp": "kemarin"}), "messaging[0].timestamp"),
        (
            _page(_messaging({"mid": "m", "attachments": [{"type": "location", "payload": {}}]})),
            "attachments[0].payload.coordinates",
        ),
    ],
)
def test_malformed_messenger_payloads_name_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        meta.parse_messenger(payload, "facebook")
    assert field in err.value.detail


# --- WhatsApp Cloud API -----------------------------------------------------------------------


def _wa(*messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "628111272206", "phone_number_id": "106540352242922"},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Siti Aminah"}, "wa_id": "6281234567890"}]
        value["messages"] = list(messages)
    if statuses is not None:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def _wa_msg(kind: str, body: Any, **extra: Any) -> dict[str, Any]:
    return {
        "from": "6281234567890",
        "id": "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA=",
        "timestamp": "1717040000",
        "type": kind,
        kind: body,
        **extra,
    }


def test_whatsapp_text_message() -> None:
    [msg] = meta.parse_whatsapp(
        _wa(_wa_msg("text", {"body": "parkir liar depan pasar, macet parah"}))
    )
    assert msg.channel == "sms_whatsapp"
    assert msg.external_id == "wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA="
    assert msg.text == "parkir liar depan pasar, macet parah"
    assert msg.received_at == datetime(2024, 5, 30, 3, 33, 20, tzinfo=UTC)
    assert msg.sender == {
        "phone": "+6281234567890",
        "name": "Siti Aminah",
        "phone_number_id": "106540352242922",
    }
    assert not msg.is_reply


def test_whatsapp_image_with_caption() -> None:
    image = {
        "caption": "Pohon tumbang!",
        "mime_type": "image/jpeg",
        "sha256": "abc",
        "id": "1479537139650973",
    }
    [msg] = meta.parse_whatsapp(_wa(_wa_msg("image", image)))
    assert msg.photo_media_ids == ("1479537139650973",)
    assert msg.text == "Pohon tumbang!"
    assert msg.has_attachments


def test_whatsapp_location() -> None:
    location = {
        "latitude": -6.1754,
        "longitude": 106.8272,
        "name": "Monas",
        "address": "Gambir, Jakarta Pusat",
    }
    [msg] = meta.parse_whatsapp(_wa(_wa_msg("location", location)))
    assert (msg.lat, msg.lon) == (-6.1754, 106.8272)
    assert msg.address_text == "Monas, Gambir, Jakarta Pusat"
    assert msg.text == ""


def test_whatsapp_reply_and_forward() -> None:
    context = {"from": "628111272206", "id": "wamid.PREVIOUS"}
    [reply] = meta.parse_whatsapp(
        _wa(_wa_msg("text", {"body": "siap, makasih 👍"}, context=context))
    )
    assert reply.is_reply
    forwarded = _wa_msg("text", {"body": "jalan rusak"}, context={"forwarded": True})
    assert not meta.parse_whatsapp(_wa(forwarded))[0].is_reply


def test_whatsapp_statuses_and_unsupported_types_give_nothing() -> None:
    status = {
        "id": "wamid.OUT",
        "status": "delivered",
        "timestamp": "1717040001",
        "recipient_id": "6281234567890",
    }
    assert meta.parse_whatsapp(_wa(statuses=[status])) == []
    reaction = _wa_msg("reaction", {"message_id": "wamid.OUT", "emoji": "👍"})
    sticker = _wa_msg("sticker", {"id": "55", "mime_type": "image/webp"})
    assert meta.parse_whatsapp(_wa(reaction, sticker)) == []


def test_dispatch_routes_whatsapp_and_sms_for_the_same_channel() -> None:
    [wa] = parse("sms_whatsapp", _wa(_wa_msg("text", {"body": "halo"})))
    assert wa.sender["phone"] == "+6281234567890"
    sms = {
        "message_id": "s1",
        "from": "081234567890",
        "text": "x",
        "received_at": "2024-05-30T10:00:00+07:00",
    }
    assert parse("sms_whatsapp", sms)[0].external_id == "s1"
    with pytest.raises(InvalidInput):
        parse("jaki", {})


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"object": "page"}, "object"),
        (_wa(_wa_msg("text", {})), "messages[0].text.body"),
        (_wa(_wa_msg("text", "hello")), "messages[0].text"),
        (_wa({**_wa_msg("text", {"body": "x"}), "from": None}), "messages[0].from"),
        (_wa({**_wa_msg("text", {"body": "x"}), "from": "not-a-phone"}), "messages[0].from"),
        (_wa({**_wa_msg("text", {"body": "x"}), "id": ""}), "messages[0].id"),
        (_wa({**_wa_msg("text", {"body": "x"}), "timestamp": None}), "messages[0].timestamp"),
        (_wa(_wa_msg("image", {"caption": "x"})), "messages[0].image.id"),
        (_wa(_wa_msg("location", {"latitude": "far"})), "messages[0].location.lat"),
    ],
)
def test_malformed_whatsapp_payloads_name_the_field(payload: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        meta.parse_whatsapp(payload)
    assert field in err.value.detail
