"""Intake's channels on real Kafka and the real database: a signed WhatsApp webhook and a
multipart report with a photo both become cases where they belong."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
import uuid
from typing import Any

import httpx
from aduan_testkit.payloads import whatsapp_text
from PIL import Image


def post_whatsapp(platform: Any, text: str) -> dict[str, Any]:
    body = json.dumps(whatsapp_text(text, message_id=f"wamid.{uuid.uuid4().hex}")).encode()
    secret = platform.env["INTAKE_META_APP_SECRET"].encode()
    signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    r = httpx.post(
        platform.url("intake", "/v1/channels/sms_whatsapp/messages"),
        content=body,
        headers={"X-Hub-Signature-256": signature},
        timeout=15,
    )
    assert r.status_code == 202, r.text
    return r.json()  # type: ignore[no-any-return]


def test_signed_whatsapp_message_becomes_a_case_and_a_status_question_is_answered(
    platform: Any,
) -> None:
    result = post_whatsapp(platform, "Pohon tumbang nutup jalan, kel. Bangka kec. Mampang Prapatan")
    [report] = result["reports"]
    case = platform.case(report["report_id"])
    assert case["channel"] == "sms_whatsapp"
    assert case["kelurahan"]["name"] == "Bangka"
    assert case["category"] == "Pohon" and case["unit_id"] == "sudin:distamhut:31.74"
    assert "6281234567890" not in json.dumps(case)

    code = report["tracking_code"]
    asked = post_whatsapp(platform, f"min, status laporan {code} gimana ya?")
    assert asked["reports"] == [] and asked["status_questions"] == [code]
    url = platform.url("notifier", f"/v1/notifications?report_id={report['report_id']}")
    deadline = time.monotonic() + 30
    answers: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not answers:
        listed = httpx.get(url, headers=platform.admin_headers(), timeout=5).json()
        answers = [n for n in listed if n["template"] == "status_answer"]
        time.sleep(0.25)
    assert answers, "the notifier recorded no answer to the status question"
    assert answers[0]["text"] == f"Status laporan {code}: Menunggu."
    assert answers[0]["recipient"].startswith("ask-")  # a vault reference, not the number
    assert "6281234567890" not in json.dumps(listed)


def test_multipart_report_with_a_photo_is_placed_by_its_exif(platform: Any) -> None:
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S", 2: (6.0, 15.0, 51.048), 3: "E", 4: (106.0, 49.0, 9.48)})  # Bangka
    photo = io.BytesIO()
    Image.new("RGB", (80, 60), "brown").save(photo, "JPEG", exif=exif.tobytes())
    keys = json.loads(platform.env["INTAKE_API_KEYS"])
    r = httpx.post(
        platform.url("intake", "/v1/reports"),
        headers={"X-Api-Key": keys["jaki"]},
        data={
            "channel": "jaki",
            "external_id": f"photo-{uuid.uuid4()}",
            "category": "Jalan",
            "description": "Jalan berlubang",
        },
        files=[("photos", ("lubang.jpg", photo.getvalue(), "image/jpeg"))],
        timeout=30,
    )
    assert r.status_code == 202, r.text
    case = platform.case(r.json()["report_id"])
    assert case["kelurahan"]["name"] == "Bangka"
    assert case["location"]["source"] == "exif"
    [ref] = case["photos"]
    assert ref["content_type"] == "image/jpeg" and len(ref["sha256"]) == 64
