"""Mail to the complaint address through intake's SMTP listener, with a real SMTP client."""

from __future__ import annotations

import io
import json
import smtplib
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aduan_shared.events import report_id_for
from PIL import Image


def complaint(message_id: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Rina <rina@example.id>"
    m["To"] = "dki@jakarta.go.id"
    m["Subject"] = "Pohon tumbang di kel. Bangka, Mampang Prapatan"
    m["Message-ID"] = f"<{message_id}>"
    m.set_content("Pohon besar tumbang menutup jalan sejak pagi. Mohon segera ditangani.")
    img = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(img, "JPEG")
    m.add_attachment(img.getvalue(), maintype="image", subtype="jpeg", filename="pohon.jpg")
    return m


def test_mail_to_the_complaint_address_becomes_a_case(platform: Any) -> None:
    message_id = f"{uuid.uuid4()}@example.id"
    with smtplib.SMTP("127.0.0.1", platform.smtp_port, timeout=30) as smtp:
        assert smtp.send_message(complaint(message_id)) == {}
    report_id = str(report_id_for("email", message_id))  # the id a mail's Message-ID gives
    case = platform.case(report_id)
    assert case["channel"] == "email" and case["kelurahan"]["name"] == "Bangka"
    assert len(case["photos"]) == 1
    assert "rina@example.id" not in str(case)
    # The mail gateway's endpoint sees the same mail as the same report.
    keys = json.loads(platform.env["INTAKE_API_KEYS"])
    again = httpx.post(
        platform.url("intake", "/v1/channels/email/messages"),
        content=complaint(message_id).as_bytes(),
        headers={"Content-Type": "message/rfc822", "X-Api-Key": keys["email"]},
        timeout=30,
    )
    assert [r["report_id"] for r in again.json()["reports"]] == [report_id]


def test_mail_to_another_address_is_refused(platform: Any) -> None:
    m = complaint(f"{uuid.uuid4()}@example.id")
    m.replace_header("To", "someone@else.example")
    with (
        smtplib.SMTP("127.0.0.1", platform.smtp_port, timeout=30) as smtp,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        smtp.send_message(m)
