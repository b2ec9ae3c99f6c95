"""POST /v1/channels/{channel}/messages and the webhook handshakes, through the assembled API."""

import base64
import hashlib
import hmac
import io
import json
from typing import Any

from aduan_shared.vault import unseal
from aduan_testkit.payloads import whatsapp_text
from PIL import Image


def signed(secret: str, payload: dict[str, Any], *, b64: bool = False) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return body, "sha256=" + (base64.b64encode(mac).decode() if b64 else mac.hex())


TWEET = {
    "for_user_id": "2244994945",
    "tweet_create_events": [
        {
            "id_str": "1850000000000000001",
            "created_at": "Sun Nov 22 08:00:00 +0000 2026",
            "text": "@DKIJakarta jalan bolong parah di depan pasar, tolong dong min 🙏",
            "user": {"id_str": "42", "screen_name": "warga_bangka", "name": "Warga Bangka"},
            "coordinates": {"type": "Point", "coordinates": [106.8193, -6.26418]},
        }
    ],
}
THANKS = {
    "for_user_id": "2244994945",
    "tweet_create_events": [
        {
            "id_str": "1850000000000000002",
            "created_at": "Sun Nov 22 09:00:00 +0000 2026",
            "text": "@DKIJakarta terima kasih min",
            "in_reply_to_status_id_str": "1849",
            "user": {"id_str": "42", "screen_name": "warga_bangka", "name": "Warga Bangka"},
        }
    ],
}
WHATSAPP = whatsapp_text("Sampah numpuk di kel. Bangka")
SMS = {
    "message_id": "sms-77",
    "from": "081298765432",
    "text": "status laporan JKT-7K3M9Q2X gmn ya",
    "received_at": "2026-11-22T08:00:00+07:00",
}
LAPOR = {
    "tracking_id": "LAP-2026-001",
    "title": "Pohon tumbang",
    "content": "Pohon besar tumbang menutup jalan",
    "category": "Pohon",
    "location": "Jl. Kemang Raya, Bangka",
    "is_anonymous": True,
    "is_secret": True,
    "created_at": "2026-11-22T07:00:00+07:00",
    "reporter": {"name": "Anon"},
}


async def test_twitter_crc_challenge(intake: Any) -> None:
    r = await intake.client.get("/v1/channels/twitter/messages", params={"crc_token": "abc"})
    mac = hmac.new(b"tw-secret", b"abc", hashlib.sha256).digest()
    assert r.json() == {"response_token": "sha256=" + base64.b64encode(mac).decode()}


async def test_meta_handshake(intake: Any) -> None:
    ok = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    r = await intake.client.get("/v1/channels/facebook/messages", params=ok)
    assert (r.status_code, r.text) == (200, "1158201444")
    bad = ok | {"hub.verify_token": "nope"}
    assert (
        await intake.client.get("/v1/channels/facebook/messages", params=bad)
    ).status_code == 401


async def test_signed_tweet_becomes_a_report_with_its_location(intake: Any) -> None:
    body, sig = signed("tw-secret", TWEET, b64=True)
    r = await intake.client.post(
        "/v1/channels/twitter/messages", content=body, headers={"x-twitter-webhooks-signature": sig}
    )
    assert r.status_code == 202, r.text
    [report] = r.json()["reports"]
    [event] = intake.published
    assert str(event.report_id) == report["report_id"] and event.channel == "twitter"
    assert event.external_id == "1850000000000000001"
    assert event.location is not None and event.location.lat == -6.26418
    assert "warga_bangka" not in event.model_dump_json()  # the handle is sealed, not published
    assert event.reporter_ref is not None
    contact = unseal(intake.vault_private_key, intake.vault.sealed[event.reporter_ref])
    assert contact["handle"].lstrip("@") == "warga_bangka"
    again = await intake.client.post(
        "/v1/channels/twitter/messages", content=body, headers={"x-twitter-webhooks-signature": sig}
    )
    assert again.json()["reports"] == r.json()["reports"]  # a redelivered webhook: same report


async def test_wrong_or_missing_signature_is_401_and_nothing_is_made(intake: Any) -> None:
    body, _ = signed("tw-secret", TWEET, b64=True)
    _, wrong = signed("other", TWEET, b64=True)
    for headers in ({}, {"x-twitter-webhooks-signature": wrong}):
        r = await intake.client.post("/v1/channels/twitter/messages", content=body, headers=headers)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
    assert intake.published == [] and intake.reports.docs == {}


async def test_a_thanks_reply_makes_no_report(intake: Any) -> None:
    body, sig = signed("tw-secret", THANKS, b64=True)
    r = await intake.client.post(
        "/v1/channels/twitter/messages", content=body, headers={"x-twitter-webhooks-signature": sig}
    )
    assert r.json() == {"reports": [], "status_questions": [], "ignored": 1, "attached_to": []}
    assert intake.published == []


async def test_whatsapp_text_is_a_report_and_the_phone_is_sealed(intake: Any) -> None:
    body, sig = signed("meta-secret", WHATSAPP)
    r = await intake.client.post(
        "/v1/channels/sms_whatsapp/messages", content=body, headers={"x-hub-signature-256": sig}
    )
    assert r.status_code == 202, r.text
    [event] = intake.published
    assert event.description == "Sampah numpuk di kel. Bangka" and event.location is None
    assert "6281234567890" not in event.model_dump_json()


async def test_sms_status_question_is_not_a_report(intake: Any) -> None:
    body, sig = signed("sms-secret", SMS)
    r = await intake.client.post(
        "/v1/channels/sms_whatsapp/messages", content=body, headers={"x-aduan-signature": sig}
    )
    assert r.json() == {
        "reports": [],
        "status_questions": ["JKT-7K3M9Q2X"],
        "ignored": 0,
        "attached_to": [],
    }
    assert intake.published == []
    [asked] = intake.asked  # passed to the notifier, which answers on the asker's channel
    assert (asked.tracking_code, asked.found, asked.channel) == (
        "JKT-7K3M9Q2X",
        False,
        "sms_whatsapp",
    )
    assert asked.asker_ref is not None and asked.asker_ref in intake.vault.sealed
    assert unseal(intake.vault_private_key, intake.vault.sealed[asked.asker_ref])["phone"]
    assert "081298765432" not in asked.model_dump_json()  # sealed, never in the event


async def test_a_status_question_names_the_report_when_the_code_is_known(intake: Any) -> None:
    jaki = {"channel": "jaki", "external_id": "jaki-ask-1", "description": "Got mampet"}
    r = await intake.client.post("/v1/reports", json=jaki, headers=intake.jaki_headers)
    code = r.json()["tracking_code"]
    question = SMS | {"message_id": "sms-ask-2", "text": f"cek status laporan {code.lower()} min"}
    body, sig = signed("sms-secret", question)
    for _ in range(2):  # the gateway retries: the same question, the same event
        r = await intake.client.post(
            "/v1/channels/sms_whatsapp/messages", content=body, headers={"x-aduan-signature": sig}
        )
        assert r.status_code == 202 and r.json()["status_questions"] == [code]
    first, again = intake.asked
    assert first.event_id == again.event_id
    assert first.found and first.report_id == intake.published[0].report_id


async def test_lapor_needs_its_api_key_and_keeps_anonymous_reporters_out(intake: Any) -> None:
    body = json.dumps(LAPOR).encode()
    url = "/v1/channels/lapor/messages"
    assert (await intake.client.post(url, content=body)).status_code == 401
    r = await intake.client.post(url, content=body, headers={"x-api-key": intake.lapor_key})
    assert r.status_code == 202, r.text
    [event] = intake.published
    assert event.category == "Pohon" and event.address_text == "Jl. Kemang Raya, Bangka"
    assert event.reporter_ref is None and event.visibility == "private"


async def test_bad_requests(intake: Any) -> None:
    bad_json = b"{not json"
    bad_sig = "sha256=" + hmac.new(b"meta-secret", bad_json, hashlib.sha256).hexdigest()
    cases = [
        ("/v1/channels/fax/messages", b"{}", {}, 404),
        ("/v1/channels/jaki/messages", b"{}", {}, 404),
        ("/v1/channels/email/messages", b"x", {}, 401),
        ("/v1/channels/facebook/messages", bad_json, {"x-hub-signature-256": bad_sig}, 422),
    ]
    for url, content, headers, expected in cases:
        r = await intake.client.post(url, content=content, headers=headers)
        assert r.status_code == expected, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert intake.published == []


async def test_lapor_inline_photo_is_stored_with_the_report(intake: Any) -> None:
    img = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(img, "PNG")
    payload = LAPOR | {
        "tracking_id": "LAP-2026-002",
        "attachments": [base64.b64encode(img.getvalue()).decode()],
    }
    r = await intake.client.post(
        "/v1/channels/lapor/messages",
        content=json.dumps(payload),
        headers={"x-api-key": intake.lapor_key},
    )
    assert r.status_code == 202, r.text
    [event] = intake.published
    assert [p.content_type for p in event.photos] == ["image/png"]
    assert intake.photos.puts == 1


async def test_oversized_webhook_bodies_are_413_before_anything_else(intake: Any) -> None:
    huge = b"{" + b" " * (1024 * 1024 + 10) + b"}"  # over a social webhook's 1 MB
    r = await intake.client.post("/v1/channels/twitter/messages", content=huge)
    assert r.status_code == 413  # not 401: the size is checked before the signature
    assert r.headers["content-type"] == "application/problem+json"
    assert intake.published == []
