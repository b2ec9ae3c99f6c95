"""SMS gateway adapter: X-Aduan-Signature and the gateway's message JSON."""

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aduan_intake.channel_adapters import sms
from aduan_shared.errors import InvalidInput, Unauthenticated

SECRET = "sms-gateway-secret"


def _payload(**extra: Any) -> dict[str, Any]:
    return {
        "message_id": "SM5f8a2b",
        "from": "081234567890",
        "text": "Lapor, ada galian kabel ga ditutup di Jl. Cikini Raya, udah seminggu",
        "received_at": "2024-06-01T09:15:30+07:00",
        **extra,
    }


def test_signature_is_hex_hmac_of_body() -> None:
    body = json.dumps(_payload()).encode()
    header = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    sms.verify(SECRET, body, header)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "md5=abc", "sha256=" + hmac.new(b"x", b"{}", hashlib.sha256).hexdigest()],
)
def test_wrong_or_missing_signature_is_401(header: str | None) -> None:
    with pytest.raises(Unauthenticated) as err:
        sms.verify(SECRET, b"{}", header)
    assert err.value.status == 401


def test_tampered_body_fails() -> None:
    body = json.dumps(_payload()).encode()
    header = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(Unauthenticated):
        sms.verify(SECRET, body.replace(b"Cikini", b"Cikinj"), header)


def test_sms_message_is_parsed() -> None:
    [msg] = sms.parse(_payload())
    assert msg.channel == "sms_whatsapp"
    assert msg.external_id == "SM5f8a2b"
    assert msg.text.startswith("Lapor, ada galian kabel")
    assert msg.received_at == datetime(2024, 6, 1, 9, 15, 30, tzinfo=timezone(timedelta(hours=7)))
    assert msg.received_at.astimezone(UTC).hour == 2
    assert msg.sender == {"phone": "+6281234567890"}
    assert not msg.is_reply and msg.photo_urls == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("0062812345678", "+62812345678"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, expected: str) -> None:
    assert sms.parse(_payload(**{"from": raw}))[0].sender["phone"] == expected


def test_utc_z_timestamp_and_emoji_text() -> None:
    [msg] = sms.parse(_payload(text="  makasih 🙏  ", received_at="2024-06-01T02:15:30Z"))
    assert msg.text == "makasih 🙏"
    assert msg.received_at == datetime(2024, 6, 1, 2, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"message_id": None}, "payload.message_id"),
        ({"from": None}, "payload.from"),
        ({"from": "abc"}, "payload.from"),
        ({"text": None}, "payload.text"),
        ({"text": 42}, "payload.text"),
        ({"received_at": None}, "payload.received_at"),
        ({"received_at": "kemarin sore"}, "payload.received_at"),
        ({"received_at": "2024-06-01T09:15:30"}, "payload.received_at"),
    ],
)
def test_missing_or_bad_fields_are_422_naming_the_field(
    change: dict[str, Any], field: str, expect_422: Callable[..., None]
) -> None:
    expect_422(sms.parse, _payload(), change, field)


def test_non_object_payload_is_422() -> None:
    with pytest.raises(InvalidInput, match="payload"):
        sms.parse(["not", "an", "object"])
