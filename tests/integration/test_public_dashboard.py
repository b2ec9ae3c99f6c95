"""The public dashboard (analytics `/`) in headless Chromium on the real platform.

Reports are filed through intake in two kota and two categories no other test uses, one walked
to done by officers and rated; one public report's text carries canary personal data. The page
must show the numbers of the API answers it received, follow its filters, fit a phone, fetch
nothing from elsewhere, say when the API fails, and never show the canaries (nor may the API).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from aduan_shared.auth import issue_dev_token
from aduan_testkit import eventually, jpeg
from playwright.sync_api import Browser, Page, Response, expect
from shapely.geometry import shape

Platform = Any  # the `platform` fixture of conftest.py

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "build" / "screenshots"
PARK, SMOKING = "Taman", "Kawasan Dilarang Merokok"  # categories only this test files
PUSAT, SELATAN = "31.71", "31.74"
GAMBIR, BANGKA = "31.71.01.1001", "31.74.03.1002"
WAIT_MS = 30_000
PICKED = re.compile(r"\bpicked\b")


@dataclass
class Seeded:
    canaries: list[str]
    public_code: str  # the public report with the canaries, walked to done and rated
    codes: list[str] = field(default_factory=list)


def token(platform: Platform, role: str, unit: str, sub: str) -> dict[str, str]:
    jwt = issue_dev_token(platform.env["AUTH_JWT_SECRET"], sub=sub, roles=[role], unit_id=unit)
    return {"Authorization": f"Bearer {jwt}"}


def public(platform: Platform, path: str, **params: str) -> Any:
    r = httpx.get(platform.url("analytics", f"/v1/public/{path}"), params=params, timeout=30)
    assert r.status_code == 200, (path, r.text)
    return r.json()


def walk_to_done(platform: Platform, report_id: str, at: tuple[float, float]) -> None:
    case = platform.case(report_id)
    assert case["state"] == "waiting", case
    url = platform.url("disposition", f"/v1/cases/{report_id}/transitions")
    officer = token(platform, "unit_officer", case["unit_id"], "petugas-taman-1")
    verifier = token(platform, "verifier", "verifier", "verifikator-1")
    version = case["version"]

    def act(who: dict[str, str], action: str, photo: bytes | None = None) -> str:
        nonlocal version
        headers = {**who, "If-Match": f'"{version}"'}
        form = {"action": action, "note": f"{action} (dasbor publik)"}
        if photo is None:
            r = httpx.post(url, json=form, headers=headers, timeout=30)
        else:
            files = [("photos", ("bukti.jpg", photo, "image/jpeg"))]
            r = httpx.post(url, data=form, files=files, headers=headers, timeout=30)
        assert r.status_code == 200, (action, r.text)
        version = int(r.headers["etag"].strip('"'))
        return str(r.json()["state"])

    act(officer, "accept")
    if act(officer, "complete", jpeg(8101, gps=at)) == "verification":
        act(verifier, "approve")


@pytest.fixture(scope="module")
def seeded(platform: Platform) -> Seeded:
    nik = "3174" + "".join(secrets.choice("0123456789") for _ in range(12))
    phone = "0812" + "".join(secrets.choice("0123456789") for _ in range(8))
    email = f"warga.{secrets.token_hex(4)}@example.com"
    name = "Sutrisno Wibowo"
    canaries = [nik, phone, email, name, "Sutrisno", "Wibowo"]
    keys = {"X-Api-Key": json.loads(platform.env["INTAKE_API_KEYS"])["jaki"]}
    spots = {k: platform.kelurahan_point(n) for k, n in ((GAMBIR, "Gambir"), (BANGKA, "Bangka"))}

    def submit(kode: str, category: str, text: str, visibility: str, **extra: Any) -> Any:
        spot = spots[kode]
        body = {
            "channel": "jaki",
            "external_id": f"dashboard-{uuid.uuid4()}",
            "category": category,
            "description": text,
            "location": {"lat": float(spot["lat"]), "lon": float(spot["lon"])},
            "visibility": visibility,
            **extra,
        }
        r = httpx.post(platform.url("intake", "/v1/reports"), json=body, headers=keys, timeout=30)
        assert r.status_code == 202, r.text
        return r.json()

    canary_text = (
        f"Bangku taman patah dan rumput tinggi. Nama saya {name}, NIK {nik}, "
        f"hubungi {phone} atau {email}."
    )
    reporter = {"name": name, "phone": phone, "email": email, "citizen_id": nik}
    first = submit(BANGKA, PARK, canary_text, "public", reporter=reporter)
    others = [
        submit(GAMBIR, PARK, "Taman kota kotor, rumput liar tinggi", "private"),
        submit(GAMBIR, SMOKING, "Banyak orang merokok di ruang tunggu", "public"),
        submit(BANGKA, SMOKING, "Asap rokok di kantor kelurahan", "private"),
    ]
    spot = spots[BANGKA]
    walk_to_done(platform, first["report_id"], (float(spot["lat"]), float(spot["lon"])))
    rating = platform.url("disposition", f"/v1/track/{first['tracking_code']}/rating")
    assert httpx.post(rating, json={"stars": 4}, timeout=30).status_code == 201

    def counted() -> bool:  # the read model has them all (answers are cached a few seconds)
        rows = {c["category"]: c for c in public(platform, "by-category")["categories"]}
        park, smoking = rows.get(PARK, {}), rows.get(SMOKING, {})
        return park.get("count") == 2 and park.get("done") == 1 and smoking.get("count") == 2

    eventually(counted, timeout=90, every=1)
    codes = [first["tracking_code"], *(o["tracking_code"] for o in others)]
    return Seeded(canaries, first["tracking_code"], codes)


class Dashboard:
    """One page of the dashboard, with every request it made and the API answers it got."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.requests: list[str] = []
        self.answers: dict[tuple[str, frozenset[tuple[str, str]]], Any] = {}
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", self._keep)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _keep(self, response: Response) -> None:
        url = urlsplit(response.url)
        if url.path.startswith("/v1/public/") and response.ok:
            self.answers[(url.path.rsplit("/", 1)[-1], frozenset(parse_qsl(url.query)))] = (
                response.json()
            )

    def answer(self, name: str, **filters: str) -> Any:
        key = (name, frozenset(filters.items()))
        for _ in range(100):  # the page may have drawn it before this side saw the response
            if key in self.answers:
                break
            self.page.wait_for_timeout(50)
        assert key in self.answers, f"the page never asked {name} {filters}: {list(self.answers)}"
        return self.answers[key]

    def loaded(self, **filters: str) -> None:
        """Wait until every panel shows the answers for exactly `filters`."""
        self.page.wait_for_function(
            """(want) => {
                const body = document.body;
                if (body.dataset.state !== 'ready' || body.dataset.query === undefined) {
                    return false;
                }
                const got = Object.fromEntries(new URLSearchParams(body.dataset.query));
                return JSON.stringify(Object.entries(got).sort())
                    === JSON.stringify(Object.entries(want).sort());
            }""",
            arg=filters,
            timeout=WAIT_MS,
        )

    def open(self, path: str = "/", **filters: str) -> dict[str, Any]:
        """Open the page at `path`; once drawn, every panel shows the API's `filters` answers."""
        self.page.goto(f"{self.origin}{path}")
        self.loaded(**filters)
        return assert_shows(self, filters)

    def outside(self) -> list[str]:
        """The requests to anywhere but analytics itself (a `data:` URL is no request)."""
        own = f"{self.origin}/"
        return [u for u in self.requests if not (u.startswith(own) or u.startswith("data:"))]

    def texts(self, selector: str) -> list[list[str]]:
        rows: list[list[str]] = self.page.eval_on_selector_all(
            selector, "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
        )
        return rows


@pytest.fixture
def dashboard(platform: Platform, browser: Browser) -> Iterator[Dashboard]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    board = Dashboard(context.new_page(), platform.url("analytics"))
    yield board
    context.close()
    assert board.errors == [], f"errors on the page: {board.errors}"


def num(value: float, decimals: int = 0) -> str:
    """A number as the page writes it (id-ID: '.' thousands, ',' decimals, no trailing 0)."""
    q = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{q:f}".partition(".")
    frac = frac.rstrip("0")
    whole = f"{int(whole):,}".replace(",", ".")
    return f"{whole},{frac}" if frac else whole


def pct(share: float) -> str:
    return f"{num(share, 1)}%"


def area_text(p: dict[str, Any]) -> str:
    """What the map tells of a kelurahan (its title, and on hover or tap)."""
    return (
        f"Kelurahan {p['name']}, Kecamatan {p['kecamatan']}, {p['kota']}: "
        f"{num(p['count'])} laporan, {num(p['done'])} selesai"
    )


def hours(h: float | None) -> str:
    if h is None:
        return "belum ada"
    if h * 60 < 1:
        return "kurang dari 1 menit"
    if h < 1:
        return f"{num(h * 60)} menit"
    text = f"{num(h, 1)} jam"
    return f"{text} (± {num(h / 24, 1)} hari)" if h >= 48 else text


def assert_shows(board: Dashboard, filters: dict[str, str]) -> dict[str, Any]:
    """Every panel shows what the API answered the page for `filters`; returns the summary."""
    page = board.page
    summary = board.answer("summary", **filters)
    expect(page.locator("#total")).to_have_text(num(summary["total"]))
    states = {s["state"]: s for s in summary["states"]}
    expect(page.locator("#done-share")).to_have_text(pct(states["done"]["share"]))
    expect(page.locator("#private-count")).to_have_text(num(summary["private_reports"]))
    assert board.texts("#state-rows tr") == [
        [s["label"], num(s["count"]), pct(s["share"])] for s in summary["states"]
    ]
    shown = sorted((s for s in summary["states"] if s["count"]), key=lambda s: -s["share"])
    sentence = ", ".join(f"{pct(s['share'])} {s['label'].lower()}" for s in shown)
    expect(page.locator("#share-sentence")).to_have_text(
        sentence or "Belum ada laporan untuk saringan ini."
    )
    res = summary["resolution"]
    for sel, value in (("#median-hours", res["median_hours"]), ("#p90-hours", res["p90_hours"])):
        expect(page.locator(sel)).to_have_text(hours(value))
        raw = page.get_attribute(sel, "data-hours")
        assert (float(raw) if raw else None) == value, (sel, raw, value)
    expect(page.locator("#resolved-count")).to_have_text(f"{num(res['count'])} laporan")

    categories = board.answer("by-category", **filters)["categories"]
    assert board.texts("#category-rows tr[data-category]") == [
        [c["category"], num(c["count"]), pct(c["share"]), num(c["done"])] for c in categories
    ]
    days = board.answer("timeseries", **filters)["days"]
    rows = board.texts("#trend-rows tr")
    assert [r[1:] for r in rows] == [[num(d["received"]), num(d["done"])] for d in days]

    geo = board.answer("by-kelurahan", **filters)
    for feature in geo["features"]:
        p = feature["properties"]
        if p["kode"] in (GAMBIR, BANGKA):
            title = page.locator(f'#map path[data-kode="{p["kode"]}"] title')
            expect(title).to_have_text(area_text(p))
    top = sorted(
        (f["properties"] for f in geo["features"] if f["properties"]["count"]),
        key=lambda p: (-p["count"], p["kode"]),
    )[:10]
    assert board.texts("#kelurahan-rows tr[data-kode]") == [
        [f"{p['name']}Kec. {p['kecamatan']}, {p['kota']}", num(p["count"]), num(p["done"])]
        for p in top
    ]

    units = board.answer("units")["units"][:10]
    assert board.texts("#unit-rows tr[data-unit]") == [
        [
            num(i + 1),
            u["name"],
            pct(100 * u["on_time_ratio"]),
            num(u["assignments"]),
            "–" if u["average_rating"] is None else f"{num(u['average_rating'], 1)} dari 5",
        ]
        for i, u in enumerate(units)
    ]
    assert dict(parse_qsl(urlsplit(page.url).query)) == filters
    csv_href = page.get_attribute("#dl-csv", "href") or ""
    assert dict(parse_qsl(urlsplit(csv_href).query)) == filters
    return dict(summary)


def map_point(board: Dashboard, geo: dict[str, Any], kode: str) -> dict[str, float]:
    """A point on screen inside kelurahan `kode` (from the polygon the API sent)."""
    feature = next(f for f in geo["features"] if f["properties"]["kode"] == kode)
    inside = shape(feature["geometry"]).representative_point()
    board.page.locator("#map").scroll_into_view_if_needed()
    point: dict[str, float] = board.page.evaluate(
        "([lat, lon]) => window.aduanDashboard.clientPoint(lat, lon)", [inside.y, inside.x]
    )
    return point


def assert_no_canary(text: str, canaries: list[str], where: str) -> None:
    found = [c for c in canaries if c.lower() in text.lower()]
    assert not found, f"personal data {found} in {where}"


def test_the_page_shows_the_apis_numbers_and_nothing_personal(
    platform: Platform, seeded: Seeded, dashboard: Dashboard
) -> None:
    page = dashboard.page
    summary = dashboard.open()
    assert summary["total"] >= 4 and summary["private_reports"] >= 2

    # Our reports are counted: both categories, one done, resolution measured.
    rows = {r[0]: r for r in dashboard.texts("#category-rows tr[data-category]")}
    assert rows[PARK][1] == "2" and rows[PARK][3] == "1" and rows[SMOKING][1] == "2"
    assert summary["resolution"]["count"] >= 1
    units = {u["unit_id"]: u for u in dashboard.answer("units")["units"]}
    assert any(u["ratings"] >= 1 for u in units.values())

    # Hovering a kelurahan tells its name and count.
    geo = dashboard.answer("by-kelurahan")
    bangka = next(f["properties"] for f in geo["features"] if f["properties"]["kode"] == BANGKA)
    assert bangka["count"] >= 2
    at = map_point(dashboard, geo, BANGKA)
    page.mouse.move(at["x"], at["y"])
    assert (bangka["name"], bangka["kecamatan"]) == ("Bangka", "Mampang Prapatan")
    expect(page.locator("#map-info")).to_have_text(area_text(bangka))
    # Headings, labelled filters, tables and a live status for assistive technology.
    for name in ("Ringkasan", "Tren harian", "Kategori", "Peta laporan per kelurahan"):
        expect(page.get_by_role("heading", name=name, level=2)).to_be_visible()
    for label in ("Dari tanggal", "Sampai tanggal", "Kota/kabupaten", "Kategori"):
        expect(page.locator("#filters").get_by_label(label, exact=True)).to_be_visible()
    expect(page.get_by_role("table", name="Peringkat kepatuhan unit kerja")).to_be_visible()
    expect(page.get_by_role("status").first).to_have_attribute("aria-live", "polite")
    legend = page.locator("#legend li")
    assert legend.count() >= 2 and legend.first.inner_text().strip() == "0 laporan"
    assert page.locator("#map path").count() == len(geo["features"])
    assert page.locator("#map path.c0").count() < len(geo["features"])  # some are coloured
    # Chart.js (served by analytics itself) drew both charts with the API's numbers.
    drawn = page.evaluate(
        """() => ['trend-chart', 'category-chart'].map(id => {
            const chart = Chart.getChart(id);
            return chart ? chart.data.datasets[0].data : null;
        })"""
    )
    days = dashboard.answer("timeseries")["days"]
    categories = dashboard.answer("by-category")["categories"]
    assert drawn == [[d["received"] for d in days], [c["count"] for c in categories]]

    # Nothing personal anywhere on the page, though the public report is there (redacted).
    html, text = page.content(), page.inner_text("body")
    assert_no_canary(html, seeded.canaries, "the page's HTML")
    assert_no_canary(text, seeded.canaries, "the page's text")
    # Served under a strict CSP, which the page keeps (no console error above says otherwise):
    # no inline script or style in what it serves.
    served = httpx.get(platform.url("analytics", "/"))
    assert "script-src 'self'" in served.headers["content-security-policy"]
    assert "unsafe-inline" not in served.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=", served.text)
    # Nothing came from anywhere but analytics itself (Chart.js included).
    assert f"{dashboard.origin}/static/vendor/chart.umd.js" in dashboard.requests
    assert dashboard.outside() == [], "requests outside the analytics origin"

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "public_dashboard_desktop.png"), full_page=True)


def test_no_public_answer_or_export_holds_personal_data(platform: Platform, seeded: Seeded) -> None:
    reports = public(platform, "reports", category=PARK)["reports"]
    mine = next(r for r in reports if r["tracking_code"] == seeded.public_code)
    assert "[disamarkan]" in mine["description"] and "Bangku taman patah" in mine["description"]
    assert mine["state"] == "done" and mine["kota"] == "Jakarta Selatan"
    assert all(r["tracking_code"] in seeded.codes for r in reports)
    assert len(reports) == 1  # the private one is only counted
    paths = ["summary", "timeseries", "by-category", "by-kelurahan", "units", "filters", "reports"]
    paths += ["export.csv", "export.geojson"]
    for filters in ({}, {"category": PARK}, {"kota": SELATAN, "category": PARK}):
        for path in paths:
            r = httpx.get(platform.url("analytics", f"/v1/public/{path}"), params=filters)
            assert r.status_code == 200, (path, r.text)
            assert_no_canary(r.text, seeded.canaries, f"/v1/public/{path} {filters}")
    export = httpx.get(platform.url("analytics", "/v1/public/export.csv"), params={"kota": SELATAN})
    assert seeded.public_code in export.text and "[disamarkan]" in export.text


def test_filters_refetch_every_panel_with_the_apis_filtered_numbers(
    platform: Platform, seeded: Seeded, dashboard: Dashboard
) -> None:
    page = dashboard.page
    everything = dashboard.open()

    page.select_option("#f-kota", PUSAT)
    dashboard.loaded(kota=PUSAT)
    pusat = assert_shows(dashboard, {"kota": PUSAT})
    assert pusat["total"] < everything["total"]  # Bangka's reports (Jakarta Selatan) left
    assert "dim" in (page.get_attribute(f'#map path[data-kode="{BANGKA}"]', "class") or "")
    assert "dim" not in (page.get_attribute(f'#map path[data-kode="{GAMBIR}"]', "class") or "")

    page.select_option("#f-category", PARK)
    dashboard.loaded(kota=PUSAT, category=PARK)
    park = assert_shows(dashboard, {"kota": PUSAT, "category": PARK})
    assert park["total"] == 1 and park["private_reports"] == 1  # the private one at Gambir
    assert dashboard.texts("#category-rows tr[data-category]") == [[PARK, "1", "100%", "0"]]
    expect(page.locator("#status")).to_contain_text("Jakarta Pusat · Taman")

    # A day range with nothing in it, then a range that is wrong: said, and nothing is asked.
    page.fill("#f-from", "2020-01-01")  # from a day long ago to today: the trend is clipped
    dashboard.loaded(kota=PUSAT, category=PARK, **{"from": "2020-01-01"})
    expect(page.locator("#trend-range")).to_contain_text("366 hari terakhir")
    page.fill("#f-to", "2020-01-31")
    filters = {"kota": PUSAT, "category": PARK, "from": "2020-01-01", "to": "2020-01-31"}
    dashboard.loaded(**filters)
    empty = assert_shows(dashboard, filters)
    assert len(dashboard.texts("#trend-rows tr")) == 31
    assert empty["total"] == 0
    expect(page.locator("#share-sentence")).to_have_text("Belum ada laporan untuk saringan ini.")
    asked = len(dashboard.requests)
    page.fill("#f-from", "2020-02-15")
    expect(page.locator("#filter-error")).to_have_text(
        "Tanggal awal tidak boleh setelah tanggal akhir."
    )
    assert len(dashboard.requests) == asked

    # Reset: everything again; and a shared link with filters opens filtered.
    page.click("#f-reset")
    dashboard.loaded()
    assert_shows(dashboard, {})
    selatan = dashboard.open(f"/?kota={SELATAN}&category={PARK}", kota=SELATAN, category=PARK)
    assert selatan["total"] == 1 and selatan["private_reports"] == 0
    expect(page.locator("#f-category")).to_have_value(PARK)
    assert dashboard.outside() == []


def test_fits_a_phone_and_a_tap_shows_a_kelurahan(
    platform: Platform, seeded: Seeded, browser: Browser
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="id-ID"
    )
    try:
        board = Dashboard(context.new_page(), platform.url("analytics"))
        page = board.page
        board.open()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        geo = board.answer("by-kelurahan")
        gambir = next(f["properties"] for f in geo["features"] if f["properties"]["kode"] == GAMBIR)
        at = map_point(board, geo, GAMBIR)
        page.touchscreen.tap(at["x"], at["y"])
        assert (gambir["name"], gambir["kota"]) == ("Gambir", "Jakarta Pusat")
        expect(page.locator("#map-info")).to_have_text(area_text(gambir))
        expect(page.locator(f'#map path[data-kode="{GAMBIR}"]')).to_have_class(PICKED)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / "public_dashboard_phone.png"), full_page=True)
        assert board.errors == []
    finally:
        context.close()


def test_an_api_failure_is_said_and_retry_recovers(
    platform: Platform, seeded: Seeded, dashboard: Dashboard
) -> None:
    page = dashboard.page

    def unavailable(route: Any) -> None:
        route.fulfill(
            status=503,
            headers={"Content-Type": "application/problem+json"},
            body=json.dumps({"title": "Service unavailable", "status": 503, "detail": "db down"}),
        )

    page.route("**/v1/public/summary*", unavailable)
    page.goto(platform.url("analytics", "/"))
    failure = page.locator("#failure")
    expect(failure).to_be_visible(timeout=WAIT_MS)
    expect(failure).to_contain_text("Data tidak dapat dimuat: server menjawab 503: db down")
    expect(page.locator("body")).to_have_attribute("data-state", "error")
    expect(page.locator("#status")).to_have_text("Data gagal dimuat.")
    page.unroute("**/v1/public/summary*", unavailable)
    page.click("#retry")
    dashboard.loaded()
    expect(failure).to_be_hidden()
    assert_shows(dashboard, {})
    dashboard.errors.clear()  # the browser logs the 503 itself


def test_without_chartjs_the_figures_stay_and_a_long_ranking_folds(
    platform: Platform, seeded: Seeded, dashboard: Dashboard
) -> None:
    """Chart.js missing (setup not run): the tables still carry every figure. A ranking of more
    than ten units shows ten, then all on request (the real answer, its rows repeated)."""
    page = dashboard.page
    page.route("**/static/vendor/chart.umd.js", lambda route: route.fulfill(status=404))

    def many_units(route: Any) -> None:
        real = route.fetch()
        units = real.json()["units"]
        rows = [{**u, "unit_id": f"{u['unit_id']}#{i}"} for i in range(12) for u in units][:12]
        route.fulfill(response=real, json={"units": rows})

    page.route("**/v1/public/units", many_units)
    dashboard.open()
    expect(page.locator("body")).to_have_class(re.compile(r"\bno-charts\b"))
    expect(page.locator("#trend-chart")).to_be_hidden()
    expect(page.locator("#unit-rows tr")).to_have_count(10)
    toggle = page.locator("#units-toggle")
    expect(toggle).to_have_text("Tampilkan semua 12 unit")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(page.locator("#unit-rows tr")).to_have_count(12)
    expect(toggle).to_have_attribute("aria-expanded", "true")
    dashboard.errors.clear()  # the browser logs the 404 itself
