"""The Balai Warga form's routes: the page and its fields, the map's areas, the categories."""

import gzip
import json
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_intake.app import create_app
from aduan_intake.config import Settings
from aduan_intake.form import FormData, create_form_router, simplified_areas
from aduan_shared.city import CityConfigError, ensure_sample_city
from aduan_shared.cityconfig import CityConfig, load_city
from aduan_shared.service import ServiceParts, build_app, service_core
from aduan_shared.settings import ServiceSettings
from aduan_shared.vault import generate_keypair
from shapely.geometry import shape

REPO = Path(__file__).resolve().parents[3]
JAKARTA_CONFIG = REPO / "config" / "cities" / "jakarta"
MAX_AREAS_BYTES = 600 * 1024


@pytest.fixture(scope="module")
def jakarta() -> CityConfig:
    return load_city(JAKARTA_CONFIG)


def client_for(city: CityConfig) -> httpx.AsyncClient:
    core = service_core("intake", ServiceSettings())
    app = build_app(
        ServiceParts(core, title="t", description="d", routers=[create_form_router(city)])
    )
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://intake")


@pytest.fixture
async def form(jakarta: CityConfig) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(jakarta) as client:
        yield client


class Elements(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def by_id(self, element_id: str) -> tuple[str, dict[str, str | None]]:
        return next(t for t in self.tags if t[1].get("id") == element_id)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


async def test_page_has_the_form_fields(form: httpx.AsyncClient) -> None:
    r = await form.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    page = parse(r.text)
    assert page.by_id("category")[0] == "select"
    tag, description = page.by_id("description")
    assert tag == "textarea" and "required" in description
    assert page.by_id("map")[0] == "svg"
    assert page.by_id("locate")[0] == "button"
    _, photos = page.by_id("photos")
    assert photos["type"] == "file" and "multiple" in photos
    assert photos["accept"] == "image/jpeg,image/png,image/webp"
    radios = {a["value"]: a for t, a in page.tags if a.get("name") == "visibility"}
    assert set(radios) == {"private", "public"} and "checked" in radios["private"]
    for field in ("reporter-name", "reporter-phone", "reporter-email", "address", "lat", "lon"):
        assert page.by_id(field)[0] == "input"
    result = page.by_id("result")[1]
    assert result["aria-live"] == "polite"
    labelled = {a["for"] for t, a in page.tags if t == "label" and "for" in a}
    assert {"category", "description", "photos", "reporter-email", "address"} <= labelled
    # Only the page's own files: no CDN, no tile server.
    sources = [a.get("src") or a.get("href") for t, a in page.tags if t in ("script", "link")]
    assert sources == ["data:,", "/form/form.css", "/form/form.js"]  # no favicon request
    assert "http://" not in r.text and "https://" not in r.text


async def test_script_and_style_are_served_and_keep_user_text_out_of_html(
    form: httpx.AsyncClient,
) -> None:
    js = await form.get("/form/form.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in js.text and "insertAdjacentHTML" not in js.text
    assert "/v1/reports" in js.text and '"balai_warga"' in js.text
    urls = {u for u in js.text.split('"') if u.startswith(("http://", "https://"))}
    assert urls == {"http://www.w3.org/2000/svg"}  # a namespace, not a download
    css = await form.get("/form/form.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "url(" not in css.text and "@import" not in css.text


async def test_areas_are_the_267_kelurahan_simplified_and_small(
    form: httpx.AsyncClient, jakarta: CityConfig
) -> None:
    r = await form.get("/form/areas.geojson")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geo+json"
    assert "max-age=" in r.headers["cache-control"]
    assert len(r.content) < MAX_AREAS_BYTES
    assert len(r.content) < jakarta.kelurahan_path.stat().st_size * 0.5
    data = r.json()
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    assert len(features) == 267
    assert len({f["properties"]["kode"] for f in features}) == 267
    for f in features:
        assert set(f["properties"]) == {"kode", "name", "kecamatan", "kota"}
        assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        assert shape(f["geometry"]).area > 0
    bangka = next(f for f in features if f["properties"]["name"] == "Bangka")
    assert bangka["properties"]["kecamatan"] == "Mampang Prapatan"
    assert bangka["properties"]["kota"] == "Jakarta Selatan"
    numbers = json.dumps([f["geometry"]["coordinates"] for f in features])
    decimals = {len(n.split(".")[1]) for n in numbers.replace("[", "").replace("]", "").split(",")}
    assert max(decimals) <= 5


async def test_each_simplified_area_still_holds_its_own_interior(
    form: httpx.AsyncClient, jakarta: CityConfig
) -> None:
    """Properties stay with their geometry, and simplifying moved no border far."""
    simplified = {
        f["properties"]["kode"]: shape(f["geometry"])
        for f in (await form.get("/form/areas.geojson")).json()["features"]
    }
    original = json.loads(jakarta.kelurahan_path.read_text())["features"]
    for f in original:
        inner = shape(f["geometry"]).buffer(-0.0003)  # ~33 m inside the official border
        probe = inner.representative_point() if not inner.is_empty else None
        if probe is not None:
            assert simplified[f["properties"]["kode"]].contains(probe), f["properties"]


async def test_first_view_leaves_the_far_islands_out(form: httpx.AsyncClient) -> None:
    data = (await form.get("/form/areas.geojson")).json()
    west, south, east, north = data["bbox"]
    vw, vs, ve, vn = data["view"]
    assert west <= vw < ve <= east and south <= vs < vn <= north
    assert north > -5.5  # Kepulauan Seribu reaches far north of the mainland
    assert vn < -6.0  # the first view is mainland Jakarta


async def test_areas_are_cached_gzipped_and_revalidated(
    form: httpx.AsyncClient, jakarta: CityConfig
) -> None:
    plain = await form.get("/form/areas.geojson", headers={"Accept-Encoding": "identity"})
    raw = await form.get("/form/areas.geojson", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert int(raw.headers["content-length"]) < len(plain.content) / 2
    assert raw.content == plain.content  # httpx decoded it
    again = await form.get("/form/areas.geojson", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    data = FormData(jakarta)
    assert await data.areas() is await data.areas()  # computed once
    assert gzip.decompress((await data.areas()).gzipped) == plain.content


async def test_categories_are_the_citys(form: httpx.AsyncClient, jakarta: CityConfig) -> None:
    r = await form.get("/form/categories.json")
    assert r.status_code == 200 and "max-age=" in r.headers["cache-control"]
    data = r.json()
    assert data["city"] == "DKI Jakarta"
    expected = [{"name": c.name, "code": c.code} for c in jakarta.category_names()]
    assert data["categories"] == expected
    assert len(expected) >= 20
    assert {"name": "Jalan", "code": "jalan"} in data["categories"]


@pytest.mark.parametrize(
    "path", ["/form/nope.js", "/form/index.html", "/form/..%2Fform.py", "/form/", "/formulir"]
)
async def test_other_paths_are_404_problems(form: httpx.AsyncClient, path: str) -> None:
    r = await form.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 404


async def test_sample_city_without_categories(tmp_path: Path) -> None:
    city = load_city(ensure_sample_city(tmp_path / "sample"))
    async with client_for(city) as client:
        areas = (await client.get("/form/areas.geojson")).json()
        categories = (await client.get("/form/categories.json")).json()
    assert len(areas["features"]) == 6
    assert {f["properties"]["kecamatan"] for f in areas["features"]} == {
        "Sampel Utara",
        "Sampel Selatan",
    }
    assert areas["view"] == areas["bbox"]  # no outliers in six neighbouring squares
    assert categories == {"city": "Kota Sampel", "categories": []}


def test_boundaries_other_than_geojson_are_refused(tmp_path: Path) -> None:
    (tmp_path / "kelurahan.gpkg").write_bytes(b"")
    (tmp_path / "city.yaml").write_text(
        "name: X\nboundaries:\n  kelurahan: {file: kelurahan.gpkg, name: nama}\n"
    )
    with pytest.raises(CityConfigError, match="GeoJSON"):
        simplified_areas(load_city(tmp_path))


async def test_intake_app_serves_the_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADUAN_BOUNDARIES_DIR", str(load_city(JAKARTA_CONFIG).boundary_dir))
    settings = Settings(vault_public_key=generate_keypair()[1], city_dir=JAKARTA_CONFIG)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        page = await client.get("/")
        categories: dict[str, Any] = (await client.get("/form/categories.json")).json()
    assert page.status_code == 200 and 'id="report-form"' in page.text
    assert categories["city"] == "DKI Jakarta"
