"""Each channel's payload as intake's own adapters read it: signature, text, place, id survive."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import Any

import jwt
import pytest
from aduan_intake.channel_adapters import (
    InboundMessage,
    email,
    lapor,
    meta,
    parse,
    sms,
    twitter,
)
from aduan_intake.channel_adapters.base import check_secret
from aduan_intake.channel_adapters.intent import Report, classify_message
from aduan_intake.domain import ReportSubmission
from aduan_shared.photos import process_photo
from aduan_simulator.channels import HttpSend, MailSend, Outgoing, build
from aduan_simulator.complaints import ComplaintFactory
from aduan_simulator.config import Credentials, Shares
from aduan_simulator.mix import CATEGORY_MIX, CHANNEL_MIX
from aduan_simulator.places import Places

CREDS = Credentials(
    jwt_secret="test-jwt-secret-0123456789abcdef0123456789",
    api_keys={"jaki": "k-jaki", "lapor": "k-lapor", "email": "k-mail"},
    twitter_secret="s-twitter",
    meta_secret="s-meta",
    sms_secret="s-sms",
)
PER_CHANNEL = 25


@pytest.fixture(scope="module")
def factory() -> ComplaintFactory:
    shares = Shares(photo=0.5, unlocated=0.1)
    return ComplaintFactory(
        Places.from_city(), CHANNEL_MIX, CATEGORY_MIX, shares, random.Random(4), "t"
    )


def built(factory: ComplaintFactory, channel: str, smtp: bool = False) -> list[Outgoing]:
    return [build(factory.make(channel), CREDS, smtp=smtp) for _ in range(PER_CHANNEL)]


def check_message(item: Outgoing, msg: InboundMessage) -> None:
    """The text, the place and the external id survive intake's parsing."""
    c = item.complaint
    assert msg.external_id == item.external_id
    assert c.text.split(",")[0].strip(" .") in msg.text
    assert isinstance(classify_message(msg, prefixes=("JKT",)), Report)
    if c.coordinates is not None:
        assert (msg.lat, msg.lon) == pytest.approx(c.coordinates)
    else:
        assert msg.lat is None
    if c.place is not None and c.location_mode == "named":
        assert c.place.kelurahan.name in msg.text
    if c.place is not None and c.location_mode == "link":
        assert f"{c.place.lat:.6f},{c.place.lon:.6f}" in msg.text


def http(item: Outgoing) -> HttpSend:
    assert isinstance(item.send, HttpSend)
    assert item.send.body is not None
    return item.send


def test_x_tweets_and_dms_verify_with_the_consumer_secret_and_parse(
    factory: ComplaintFactory,
) -> None:
    kinds = set()
    for item in built(factory, "twitter"):
        send = http(item)
        assert send.path == "/v1/channels/twitter/messages"
        body = send.body or b""
        twitter.verify(CREDS.twitter_secret, body, send.headers["x-twitter-webhooks-signature"])
        payload = json.loads(body)
        kinds |= {k for k in payload if k.endswith("_events")}
        [msg] = parse("twitter", payload)
        check_message(item, msg)
        assert msg.sender["handle"] == "@" + (item.complaint.contact or pytest.fail()).handle
    assert kinds == {"tweet_create_events", "direct_message_events"}


@pytest.mark.parametrize("channel", ["facebook", "leader_social"])
def test_meta_messenger_and_instagram_verify_with_the_app_secret_and_parse(
    factory: ComplaintFactory, channel: str
) -> None:
    for item in built(factory, channel):
        send = http(item)
        meta.verify(CREDS.meta_secret, send.body or b"", send.headers["X-Hub-Signature-256"])
        [msg] = parse(channel, json.loads(send.body or b""))
        assert msg.channel == channel
        check_message(item, msg)


def test_whatsapp_and_sms_verify_with_their_own_keys_and_parse(factory: ComplaintFactory) -> None:
    seen = set()
    for item in built(factory, "sms_whatsapp"):
        send = http(item)
        body = send.body or b""
        payload: dict[str, Any] = json.loads(body)
        if "object" in payload:
            seen.add("whatsapp")
            meta.verify(CREDS.meta_secret, body, send.headers["X-Hub-Signature-256"])
        else:
            seen.add("sms")
            sms.verify(CREDS.sms_secret, body, send.headers["X-Aduan-Signature"])
            assert "X-Hub-Signature-256" not in send.headers
        [msg] = parse("sms_whatsapp", payload)
        check_message(item, msg)
        assert msg.sender["phone"] == (item.complaint.contact or pytest.fail()).phone
    assert seen == {"whatsapp", "sms"}


def test_lapor_complaints_carry_the_api_key_category_place_and_inline_photos(
    factory: ComplaintFactory,
) -> None:
    photos = 0
    for item in built(factory, "lapor"):
        send = http(item)
        lapor.verify_api_key(CREDS.api_keys["lapor"], send.headers["X-Api-Key"])
        [msg] = parse("lapor", json.loads(send.body or b""))
        check_message(item, msg)
        c = item.complaint
        assert msg.category == c.category and msg.anonymous == (c.contact is None)
        if c.photo is not None:
            photos += 1
            [encoded] = msg.photo_base64
            assert process_photo(base64.b64decode(encoded)).gps is not None
        if c.place is not None:
            assert c.place.kelurahan.name in (msg.address_text or "")
    assert photos > 0


@pytest.mark.parametrize("smtp", [True, False])
def test_mail_parses_with_its_photo_and_is_addressed_to_the_complaint_address(
    factory: ComplaintFactory, smtp: bool
) -> None:
    photos = 0
    for item in built(factory, "email", smtp=smtp):
        if smtp:
            assert isinstance(item.send, MailSend)
            assert item.send.recipients == (CREDS.complaint_address,)
            raw = item.send.raw
            lines = raw.split(b"\r\n")
            assert b"\n" not in b"".join(lines) and max(map(len, lines)) <= 998  # RFC 5321
        else:
            send = http(item)
            check_secret(CREDS.api_keys["email"], send.headers["X-Api-Key"])
            assert send.headers["Content-Type"] == "message/rfc822"
            raw = send.body or b""
        parsed = email.parse_email(
            raw, received_at=datetime.now(UTC), complaint_addresses=[CREDS.complaint_address]
        )
        check_message(item, parsed.message)
        assert len(parsed.photos) == (item.complaint.photo is not None)
        photos += len(parsed.photos)
        assert BytesParser(policy=policy.default).parsebytes(raw)["Subject"].startswith("Pengaduan")
    assert photos > 0


@pytest.mark.parametrize(
    "channel",
    ["jaki", "balai_warga", "balai_kota", "inspektorat", "walikota", "kecamatan", "kelurahan"],
)
def test_form_channels_submit_what_intake_validates_with_their_authentication(
    factory: ComplaintFactory, channel: str
) -> None:
    for item in built(factory, channel):
        send = item.send
        assert isinstance(send, HttpSend) and send.path == "/v1/reports"
        c = item.complaint
        if send.form is not None:  # multipart: JSON objects as text, the photo as a file
            data: dict[str, Any] = {
                k: json.loads(v) if k in ("location", "reporter") else v
                for k, v in send.form.items()
            }
            [(field, (_, photo, content_type))] = send.files
            assert (field, content_type) == ("photos", "image/jpeg")
            assert process_photo(photo).gps == pytest.approx(c.coordinates, abs=1e-5)
        else:
            data = json.loads(send.body or b"")
        submission = ReportSubmission.model_validate(data)
        assert submission.channel == channel and submission.external_id == item.external_id
        assert submission.category == c.category and submission.description == c.text
        assert submission.location is not None and c.coordinates is not None
        assert (submission.location.lat, submission.location.lon) == c.coordinates
        assert submission.visibility == ("public" if c.public else "private")
        assert (submission.reporter is None) == (c.contact is None)
        if channel == "jaki":
            assert send.headers["X-Api-Key"] == CREDS.api_keys["jaki"]
        elif channel == "balai_warga":
            assert "Authorization" not in send.headers and "X-Api-Key" not in send.headers
        else:
            token = send.headers["Authorization"].removeprefix("Bearer ")
            claims = jwt.decode(token, CREDS.jwt_secret, algorithms=["HS256"])
            assert claims["roles"] == ["intake_officer"]


def test_a_forged_body_fails_intakes_signature_check(factory: ComplaintFactory) -> None:
    from aduan_shared.errors import Unauthenticated

    item = build(factory.make("facebook"), CREDS)
    send = http(item)
    with pytest.raises(Unauthenticated):
        forged = (send.body or b"").replace(b"}", b" }", 1)
        meta.verify(CREDS.meta_secret, forged, send.headers["X-Hub-Signature-256"])
