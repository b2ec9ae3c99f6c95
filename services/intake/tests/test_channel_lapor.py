"""LAPOR! SP4N adapter: API key and complaint JSON."""

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aduan_intake.channel_adapters import lapor
from aduan_shared.errors import InvalidInput, Unauthenticated

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


def _complaint(**extra: Any) -> dict[str, Any]:
    return {
        "tracking_id": "5821937",
        "title": "Jalan Rusak Parah",
        "content": "  Jalan di RT 05 RW 02 rusak parah, banyak lubang besar dan sering bikin"
        " motor jatuh. ",
        "category": "Jalan",
        "location": "Jl. Bangka Raya, Kel. Bangka, Mampang Prapatan, Jakarta Selatan",
        "is_anonymous": False,
        "is_secret": False,
        "created_at": "2024-06-03T08:30:00+07:00",
        "reporter": {"name": "Andi Wijaya", "phone": "081298765432", "email": "andi@example.id"},
        **extra,
    }


def test_api_key_is_checked() -> None:
    lapor.verify_api_key("lapor-key", "lapor-key")
    for given in (None, "", "lapor-kez", "lapor-key "):
        with pytest.raises(Unauthenticated) as err:
            lapor.verify_api_key("lapor-key", given)
        assert err.value.status == 401
    with pytest.raises(Unauthenticated):
        lapor.verify_api_key("", "")


def test_complaint_is_parsed() -> None:
    [msg] = lapor.parse(_complaint())
    assert msg.channel == "lapor"
    assert msg.external_id == "5821937"
    assert msg.text == (
        "Jalan Rusak Parah\nJalan di RT 05 RW 02 rusak parah, banyak lubang besar dan sering bikin"
        " motor jatuh."
    )
    assert msg.category == "Jalan"
    assert (msg.address_text or "").startswith("Jl. Bangka Raya")
    assert msg.received_at == datetime(2024, 6, 3, 1, 30, tzinfo=UTC)
    assert msg.sender == {
        "name": "Andi Wijaya",
        "phone": "081298765432",
        "email": "andi@example.id",
    }
    assert (msg.lat, msg.lon, msg.anonymous, msg.secret) == (None, None, False, False)


def test_coordinates_and_attachments_of_every_form() -> None:
    attachments = [
        "https://www.lapor.go.id/storage/attachments/1.jpg",
        f"data:image/png;base64,{PNG}",
        PNG,
        {"url": "https://www.lapor.go.id/storage/attachments/2.jpg"},
        {"base64": PNG[:12] + "\n" + PNG[12:]},
    ]
    [msg] = lapor.parse(_complaint(lat="-6.2531", lon=106.8265, attachments=attachments))
    assert (msg.lat, msg.lon) == (-6.2531, 106.8265)
    assert msg.photo_urls == (
        "https://www.lapor.go.id/storage/attachments/1.jpg",
        "https://www.lapor.go.id/storage/attachments/2.jpg",
    )
    assert msg.photo_base64 == (PNG, PNG, PNG)


def test_anonymous_and_secret_complaint_drops_the_reporter() -> None:
    [msg] = lapor.parse(_complaint(is_anonymous=True, is_secret=1, tracking_id=5821938))
    assert msg.anonymous and msg.secret
    assert msg.sender == {}
    assert msg.external_id == "5821938"


def test_naive_timestamp_is_jakarta_time_and_title_is_optional() -> None:
    [msg] = lapor.parse(
        _complaint(title=None, content="sampah numpuk 😷", created_at="2024-06-03 08:30:00")
    )
    assert msg.text == "sampah numpuk 😷"
    assert msg.received_at == datetime(2024, 6, 3, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    assert msg.category == "Jalan"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tracking_id": None}, "payload.tracking_id"),
        ({"title": None, "content": None}, "payload.content"),
        ({"content": ["x"]}, "payload.content"),
        ({"created_at": None}, "payload.created_at"),
        ({"created_at": "3 Juni 2024"}, "payload.created_at"),
        ({"lat": -6.2}, "payload.lat"),
        ({"lat": "utara", "lon": 106.8}, "payload.lat"),
        ({"lat": -6.2, "lon": 361}, "payload.lon"),
        ({"attachments": "https://x/1.jpg"}, "payload.attachments"),
        ({"attachments": [42]}, "payload.attachments[0]"),
        ({"attachments": ["ftp://x/1.jpg"]}, "payload.attachments[0]"),
        ({"attachments": [{"name": "a.jpg"}]}, "payload.attachments[0]"),
        ({"is_anonymous": "maybe"}, "payload.is_anonymous"),
        ({"category": 7}, "payload.category"),
        ({"reporter": "Andi"}, "payload.reporter"),
    ],
)
def test_malformed_complaints_are_422_naming_the_field(
    change: dict[str, Any], field: str, expect_422: Callable[..., None]
) -> None:
    expect_422(lapor.parse, _complaint(), change, field)


def test_non_object_payload_is_422() -> None:
    with pytest.raises(InvalidInput, match="payload"):
        lapor.parse("tracking_id=1")
