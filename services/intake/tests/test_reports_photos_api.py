"""POST /v1/reports as multipart/form-data with photos, through the assembled API."""

import io
import json
from typing import Any

from PIL import Image

GPS_IFD = 0x8825


def jpeg_with_gps(lat: float, lon: float, color: str = "orange") -> bytes:
    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        return (float(d), float(m), round((value - d - m / 60) * 3600, 4))

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: metadata that must not survive
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "S" if lat < 0 else "N", 2: dms(lat), 3: "E" if lon > 0 else "W", 4: dms(lon)})
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def form(**fields: Any) -> dict[str, str]:
    base = {"channel": "jaki", "external_id": "photo-1", "description": "Got mampet"}
    return {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in (base | fields).items()}


async def test_photo_gps_fills_the_location_and_metadata_is_stripped(intake: Any) -> None:
    photo = jpeg_with_gps(-6.26418, 106.8193)
    r = await intake.client.post(
        "/v1/reports",
        data=form(),
        headers=intake.jaki_headers,
        files=[("photos", ("a.jpg", photo, "image/png"))],
    )  # header lies
    assert r.status_code == 202, r.text
    [event] = intake.published
    assert event.location is not None and event.location.source == "exif"
    assert abs(event.location.lat + 6.26418) < 1e-4 and abs(event.location.lon - 106.8193) < 1e-4
    [ref] = event.photos
    assert ref.content_type == "image/jpeg" and ref.phash
    stored, content_type = await intake.photos.get(ref.photo_id)
    assert content_type == "image/jpeg"
    assert not Image.open(io.BytesIO(stored)).getexif()  # no GPS, no Make left


async def test_a_given_location_wins_over_exif(intake: Any) -> None:
    fields = form(location={"lat": -6.2, "lon": 106.8})
    r = await intake.client.post(
        "/v1/reports",
        data=fields,
        headers=intake.jaki_headers,
        files=[("photos", ("a.jpg", jpeg_with_gps(-6.3, 106.9), "x"))],
    )
    assert r.status_code == 202
    assert intake.published[0].location.source == "gps"


async def test_too_many_wrong_type_and_bad_bodies_publish_nothing(intake: Any) -> None:
    photo = jpeg_with_gps(-6.2, 106.8)
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    six = [("photos", (f"{i}.jpg", photo, "image/jpeg")) for i in range(6)]
    cases = [
        ({"data": form(), "files": six}, 413),
        ({"data": form(), "files": [("photos", ("x.gif", gif.getvalue(), "image/gif"))]}, 415),
        ({"content": b"just text", "headers": {"Content-Type": "text/plain"}}, 415),
        ({"content": b"{broken", "headers": {"Content-Type": "application/json"}}, 422),
        ({"data": form(description="")}, 422),
    ]
    for kwargs, expected in cases:
        headers = intake.jaki_headers | kwargs.pop("headers", {})
        r = await intake.client.post("/v1/reports", headers=headers, **kwargs)
        assert r.status_code == expected, (expected, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    assert intake.published == [] and intake.reports.docs == {}


async def test_photos_are_not_decoded_before_the_caller_is_authenticated(intake: Any) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")  # would be a 415 once decoded
    r = await intake.client.post(
        "/v1/reports", data=form(), files=[("photos", ("x.gif", gif.getvalue(), "image/gif"))]
    )
    assert r.status_code == 401
    assert intake.published == [] and intake.photos.puts == 0
