"""POST /v1/channels/email/messages: raw mail from the gateway, photos, replies in a thread."""

import io
from email.message import EmailMessage
from typing import Any

from PIL import Image


def mail(
    message_id: str, body: str, *, in_reply_to: str | None = None, photo: bool = False
) -> bytes:
    m = EmailMessage()
    m["From"] = "Budi Santoso <budi@example.id>"
    m["To"] = "dki@jakarta.go.id"
    m["Subject"] = ("Re: " if in_reply_to else "") + "Jalan rusak di Bangka"
    m["Message-ID"] = f"<{message_id}>"
    m["Date"] = "Sun, 22 Nov 2026 08:00:00 +0700"
    if in_reply_to:
        m["In-Reply-To"] = f"<{in_reply_to}>"
    m.set_content(body)
    if photo:
        img = io.BytesIO()
        Image.new("RGB", (32, 32), "gray").save(img, "JPEG")
        m.add_attachment(img.getvalue(), maintype="image", subtype="jpeg", filename="a.jpg")
    return m.as_bytes()


async def post(intake: Any, raw: bytes, key: str | None = None) -> Any:
    headers = {"Content-Type": "message/rfc822", "X-Api-Key": key or intake.mail_key}
    return await intake.client.post("/v1/channels/email/messages", content=raw, headers=headers)


async def test_mail_with_a_photo_is_a_report_and_the_address_is_sealed(intake: Any) -> None:
    r = await post(intake, mail("m1@example.id", "Jalan bolong besar, bahaya.", photo=True))
    assert r.status_code == 202, r.text
    [event] = intake.published
    assert event.channel == "email" and event.external_id == "m1@example.id"
    assert len(event.photos) == 1 and event.photos[0].content_type == "image/jpeg"
    assert "budi@example.id" not in event.model_dump_json()


async def test_a_reply_in_the_thread_is_attached_not_filed_again(intake: Any) -> None:
    first = (await post(intake, mail("m2@example.id", "Jalan bolong besar."))).json()
    reply = mail(
        "m3@example.id", "Belum diperbaiki juga, tolong dicek lagi.", in_reply_to="m2@example.id"
    )
    r = (await post(intake, reply)).json()
    assert r["reports"] == []
    assert r["attached_to"] == [first["reports"][0]["tracking_code"]]
    assert len(intake.published) == 1


async def test_wrong_key_or_type_publishes_nothing(intake: Any) -> None:
    raw = mail("m4@example.id", "Sampah")
    assert (await post(intake, raw, key="wrong")).status_code == 401
    r = await intake.client.post(
        "/v1/channels/email/messages",
        content=raw,
        headers={"Content-Type": "text/plain", "X-Api-Key": intake.mail_key},
    )
    assert r.status_code == 415
    assert intake.published == []


async def test_a_mailed_status_question_goes_to_the_notifier(intake: Any) -> None:
    r = await post(intake, mail("m9@example.id", "Bagaimana status laporan JKT-7K3M9Q2X?"))
    assert r.status_code == 202 and r.json()["status_questions"] == ["JKT-7K3M9Q2X"]
    [asked] = intake.asked
    assert asked.channel == "email" and asked.external_id == "m9@example.id"
    assert asked.asker_ref in intake.vault.sealed and intake.published == []
