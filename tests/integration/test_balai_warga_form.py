"""The Balai Warga form in headless Chromium, on the real platform: a citizen picks a place on the
map, attaches a photo, submits, reads the tracking code, and the report reaches its kelurahan."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_testkit import eventually, jpeg
from playwright.sync_api import (
    Browser,
    FilePayload,
    Page,
    Request,
    Route,
    expect,
)
from shapely.geometry import shape

Platform = Any  # the `platform` fixture of conftest.py

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "build" / "screenshots" / "balai_warga_form.png"
TRACKING_CODE = re.compile(r"^JKT-[A-Z0-9]{8}$")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def kelurahan(platform: Platform, name: str) -> tuple[str, float, float]:
    """Kode and a point well inside the named kelurahan (from the official boundaries)."""
    path = Path(platform.env["ADUAN_BOUNDARIES_DIR"]) / "kelurahan.geojson"
    features = json.loads(path.read_text())["features"]
    found = [f for f in features if f["properties"]["kelurahan"] == name]
    assert len(found) == 1, f"{len(found)} kelurahan named {name}"
    point = shape(found[0]["geometry"]).representative_point()
    return found[0]["properties"]["kode"], point.y, point.x


def map_point(page: Page, lat: float, lon: float) -> dict[str, float]:
    """Where (lat, lon) is on screen now, via the page's own SVG transform; checked on the map."""
    point: dict[str, float] = page.evaluate(
        "([lat, lon]) => window.balaiWarga.clientPoint(lat, lon)", [lat, lon]
    )
    box = page.locator("#map").bounding_box()
    assert box is not None
    assert box["x"] < point["x"] < box["x"] + box["width"], (point, box)
    assert box["y"] < point["y"] < box["y"] + box["height"], (point, box)
    return point


def test_citizen_reports_through_the_form_and_it_reaches_the_kelurahan(
    platform: Platform, page: Page
) -> None:
    kode, lat, lon = kelurahan(platform, "Bangka")
    posted: list[Request] = []
    page.on(
        "request",
        lambda r: posted.append(r) if r.method == "POST" and "/v1/reports" in r.url else None,
    )
    page.goto(platform.url("intake", "/"))
    expect(page.locator("#map")).to_have_attribute("data-ready", "true")
    assert page.locator("#map path").count() == 267
    expect(page.locator("#city-name")).to_have_text("DKI Jakarta")
    assert page.locator("#category option").count() > 20

    # Nothing filled in: the page says what is missing and sends nothing.
    page.click("#submit")
    expect(page.locator("#result")).to_contain_text("Deskripsi masalah wajib diisi.")
    expect(page.locator("#description")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#description")).to_be_focused()
    assert posted == []

    page.select_option("#category", label="Jalan")
    description = f"Jalan bolong besar di depan gang, motor sering jatuh ({uuid.uuid4().hex[:8]})"
    page.fill("#description", description)

    # Zoom in with the wheel over Bangka, then click it: the pick names the kelurahan.
    page.locator("#map").scroll_into_view_if_needed()
    at = map_point(page, lat, lon)
    page.mouse.move(at["x"], at["y"])
    before = page.get_attribute("#map", "viewBox")
    page.mouse.wheel(0, -300)
    expect(page.locator("#map")).not_to_have_attribute("viewBox", before or "")
    at = map_point(page, lat, lon)
    page.mouse.click(at["x"], at["y"])
    expect(page.locator("#pick-text")).to_contain_text(
        "Kelurahan Bangka, Kecamatan Mampang Prapatan, Jakarta Selatan"
    )
    expect(page.locator("#pick-text")).to_have_attribute("data-kode", kode)
    assert abs(float(page.input_value("#lat")) - lat) < 0.0005
    assert abs(float(page.input_value("#lon")) - lon) < 0.0005
    expect(page.locator("path.picked")).to_have_count(1)

    # A file that only claims to be a JPEG: intake refuses it and the page shows its detail.
    fake = FilePayload(name="foto.jpg", mimeType="image/jpeg", buffer=b"not a photo")
    page.set_input_files("#photos", files=[fake])
    page.click("#submit")
    expect(page.locator("#result")).to_contain_text("Jenis berkas tidak didukung")
    expect(page.locator("#result")).to_contain_text("Keterangan dari server: unsupported photo")
    assert len(posted) == 1 and page.locator("#tracking-code").count() == 0

    # A 429 from intake (answered here by the browser, so the shared limiter stays untouched).
    def too_many(route: Route) -> None:
        route.fulfill(
            status=429,
            headers={"Content-Type": "application/problem+json", "Retry-After": "17"},
            body=json.dumps(
                {
                    "type": "https://aduan.id/problems/too-many-requests",
                    "title": "Too many requests",
                    "status": 429,
                    "detail": "too many reports from here; please wait a moment",
                }
            ),
        )

    page.route("**/v1/reports", too_many)
    page.click("#submit")
    expect(page.locator("#result")).to_contain_text("coba lagi dalam 17 detik")
    expect(page.locator("#result")).to_contain_text("too many reports from here")
    page.unroute("**/v1/reports", too_many)

    photo = FilePayload(name="jalan.jpg", mimeType="image/jpeg", buffer=jpeg())
    page.set_input_files("#photos", files=[photo])
    expect(page.locator("#photo-list li")).to_have_count(1)
    page.check("input[name=visibility][value=public]")
    page.fill("#reporter-name", "Warga Bangka")
    page.fill("#reporter-phone", "081299990000")
    with page.expect_response(lambda r: r.url.endswith("/v1/reports")) as answer:
        page.click("#submit")
    assert answer.value.status == 202, answer.value.text()
    accepted = answer.value.json()
    code_box = page.locator("#tracking-code")
    expect(code_box).to_be_visible()
    code = code_box.inner_text().strip()
    assert TRACKING_CODE.match(code) and code == accepted["tracking_code"]
    expect(page.locator("#submit")).to_be_disabled()  # a second click cannot file it twice
    expect(page.locator("#result")).to_be_focused()

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    print(f"screenshot: {SCREENSHOT}")

    def routed() -> dict[str, Any] | None:
        r = httpx.get(platform.url("disposition", f"/v1/track/{code}"))
        body: dict[str, Any] | None = r.json() if r.status_code == 200 else None
        return body if body and body["state"] != "received" else None

    track = eventually(routed)
    assert track["unit_name"] == "Kelurahan Bangka"
    assert track["kelurahan"] == "Bangka" and track["category"] == "Jalan"
    assert "Kelurahan Bangka" in [step["unit_name"] for step in track["timeline"]]
    assert "Warga Bangka" not in str(track) and "081299990000" not in str(track)

    case = platform.case(accepted["report_id"])
    assert case["channel"] == "balai_warga" and case["visibility"] == "public"
    assert case["kelurahan"]["kode"] == kode and case["unit_id"] == f"kelurahan:{kode}"
    assert case["location"]["source"] == "map" and len(case["photos"]) == 1
    assert case["reporter_ref"].startswith("rep-")  # the contact was sealed, only a pseudonym


def test_form_fits_a_phone_a_tap_picks_and_my_location_picks(
    platform: Platform, browser: Browser
) -> None:
    kode, lat, lon = kelurahan(platform, "Bangka")
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        has_touch=True,
        is_mobile=True,
        geolocation={"latitude": -6.1754, "longitude": 106.8272, "accuracy": 25},  # Monas
        permissions=["geolocation"],
    )
    try:
        page = context.new_page()
        page.goto(platform.url("intake", "/"))
        expect(page.locator("#map")).to_have_attribute("data-ready", "true")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page scrolls sideways on a phone ({width}px)"
        page.locator("#map").scroll_into_view_if_needed()
        for _ in range(2):
            page.click("#zoom-in")
        at = map_point(page, lat, lon)  # still on the map after zooming around the centre
        page.touchscreen.tap(at["x"], at["y"])
        expect(page.locator("#pick-text")).to_have_attribute("data-kode", kode)
        page.click("#locate")  # the browser's position replaces the tapped point
        expect(page.locator("#pick-text")).to_contain_text("Kelurahan Gambir")
        assert abs(float(page.input_value("#lat")) + 6.1754) < 1e-6
        expect(page.locator("#map .accuracy")).to_have_count(1)
    finally:
        context.close()
