"""Open311 GeoReport v2 under /open311/v2/: every endpoint, the filters, the spec's error arrays,
and what a private report never shows. In-memory stores, FastStream's in-memory broker."""

import io
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aduan_intake.adapters.store import (
    ReportStatus,
)
from aduan_intake.open311 import catalog_from_city
from aduan_intake.open311_domain import Open311Catalog
from aduan_shared.cityconfig import load_city
from aduan_shared.events import (
    Location,
    ReportReceived,
    ReportState,
    utcnow,
)
from aduan_shared.vault import unseal
from PIL import Image

JAKARTA_CONFIG = Path(__file__).resolve().parents[3] / "config" / "cities" / "jakarta"
KEY = "open311-test-key"  # conftest configures it for the open311 channel
BANGKA = (-6.26418, 106.8193)
BANGKA_UNIT = "kelurahan:31.74.03.1002"
REQUEST = {
    "api_key": KEY,
    "jurisdiction_id": "jakarta.go.id",  # one jurisdiction: accepted and ignored
    "service_code": "jalan",
    "lat": str(BANGKA[0]),
    "long": str(BANGKA[1]),
    "description": "Jalan bolong   di depan SDN 01, bahaya buat motor",
    "email": "budi@example.id",
    "first_name": "Budi",
    "last_name": "Santoso",
    "phone": "+6281298765432",
    "device_id": "device-123",
    "account_id": "acct-77",
}


@dataclass
class Open311:
    client: httpx.AsyncClient
    reports: Any  # conftest's MemoryReports
    vault: Any  # conftest's MemoryVault
    published: list[ReportReceived] = field(default_factory=list)
    vault_private_key: str = ""

    async def post(self, **changes: str | None) -> httpx.Response:
        data = {k: v for k, v in (REQUEST | changes).items() if v is not None}
        return await self.client.post("/open311/v2/requests.json", data=data)

    async def submit(self, **changes: str | None) -> str:
        r = await self.post(**changes)
        assert r.status_code == 200, r.text
        return str(r.json()[0]["service_request_id"])

    def event(self, code: str) -> ReportReceived:
        return next(e for e in self.reports.docs.values() if e.tracking_code == code)


@pytest.fixture(scope="module")
def catalog() -> Open311Catalog:
    return catalog_from_city(load_city(JAKARTA_CONFIG))


@pytest.fixture
def o311(intake: Any) -> Open311:
    """Open311 on intake's app as conftest assembles it (in-memory stores and broker)."""
    return Open311(
        intake.client, intake.reports, intake.vault, intake.published, intake.vault_private_key
    )


@pytest.fixture
def o311_broker_down(intake_broker_down: Any) -> Open311:
    down = intake_broker_down
    return Open311(down.client, down.reports, down.vault, down.published)


def assert_errors(r: httpx.Response, status: int, *fragments: str) -> None:
    """The spec's error shape: a JSON array of {code, description}, code = the HTTP status."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert isinstance(body, list) and body
    assert all(set(e) == {"code", "description"} and e["code"] == status for e in body)
    text = " ".join(e["description"] for e in body)
    for fragment in fragments:
        assert fragment in text, text


# --- services ------------------------------------------------------------------------------------


async def test_services_are_the_city_categories(o311: Open311, catalog: Open311Catalog) -> None:
    r = await o311.client.get("/open311/v2/services.json")
    assert r.status_code == 200
    services = {s["service_code"]: s for s in r.json()}
    assert len(services) == len(catalog.services) >= 20
    jalan = services["jalan"]
    assert jalan["service_name"] == "Jalan"
    assert jalan["metadata"] is False and jalan["type"] == "realtime"
    assert "jalan bolong" in jalan["keywords"].split(", ")
    assert jalan["group"] == "Kelurahan"
    assert services["pohon"]["group"] == "Dinas Pertamanan dan Hutan Kota"  # sudin:distamhut


async def test_service_definition_offers_the_visibility_opt_in(o311: Open311) -> None:
    r = await o311.client.get("/open311/v2/services/jalan.json")
    assert r.status_code == 200
    body = r.json()
    assert body["service_code"] == "jalan"
    [attribute] = body["attributes"]
    assert attribute["code"] == "visibility" and attribute["required"] is False
    assert {v["key"] for v in attribute["values"]} == {"private", "public"}


async def test_unknown_service_definition_is_404_in_the_open311_shape(o311: Open311) -> None:
    assert_errors(await o311.client.get("/open311/v2/services/nope.json"), 404, "nope")


async def test_xml_is_refused_clearly_and_nothing_is_made(o311: Open311) -> None:
    for path in ("services.xml", "services/jalan.xml", "requests.xml", "requests/JKT-X.xml"):
        assert_errors(await o311.client.get(f"/open311/v2/{path}"), 406, "JSON only")
    r = await o311.client.post("/open311/v2/requests.xml", data=REQUEST)
    assert_errors(r, 406, ".json")
    assert o311.reports.docs == {} and o311.published == []


async def test_an_unknown_open311_path_is_404_in_the_open311_shape(o311: Open311) -> None:
    assert_errors(await o311.client.get("/open311/v2/discovery.json"), 404, "services.json")


# --- POST requests -------------------------------------------------------------------------------


async def test_a_form_encoded_request_becomes_a_report(o311: Open311) -> None:
    r = await o311.post()
    assert r.status_code == 200, r.text  # the spec's POST answer: 200 with an array
    [answer] = r.json()
    assert answer["service_request_id"].startswith("JKT-")
    assert answer["service_notice"] and answer["account_id"] is None
    [event] = o311.published
    assert event.tracking_code == answer["service_request_id"]
    assert event.channel == "open311" and event.category == "Jalan"
    assert event.description == "Jalan bolong di depan SDN 01, bahaya buat motor"
    assert event.location is not None and event.location.source == "gps"
    assert (event.location.lat, event.location.lon) == BANGKA
    assert event.visibility == "private" and event.external_id is None
    wire = event.model_dump_json()
    for private in ("Budi", "Santoso", "6281298765432", "budi@example.id", "device-123", "acct-77"):
        assert private not in wire
    assert event.reporter_ref is not None
    contact = unseal(o311.vault_private_key, o311.vault.sealed[event.reporter_ref])
    assert contact == {
        "name": "Budi Santoso",
        "phone": "+6281298765432",
        "email": "budi@example.id",
    }


async def test_a_json_body_is_accepted_and_its_external_id_makes_it_idempotent(
    o311: Open311,
) -> None:
    body = {k: v for k, v in REQUEST.items() if k not in ("lat", "long")}
    body |= {"lat": BANGKA[0], "long": BANGKA[1], "external_id": "app-42"}
    body |= {"attribute": {"visibility": "public"}}
    first = await o311.client.post("/open311/v2/requests.json", json=body)
    again = await o311.client.post("/open311/v2/requests.json", json=body)
    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json()
    [event] = o311.reports.docs.values()
    assert event.external_id == "app-42" and event.visibility == "public"


async def test_without_an_external_id_every_post_is_a_new_report(o311: Open311) -> None:
    assert await o311.submit() != await o311.submit()
    assert len(o311.reports.docs) == 2


async def test_the_visibility_attribute_opts_in_to_a_public_report(o311: Open311) -> None:
    code = await o311.submit(**{"attribute[visibility]": "public"})
    assert o311.event(code).visibility == "public"


async def test_an_address_string_alone_is_a_location(o311: Open311) -> None:
    code = await o311.submit(lat=None, long=None, address_string="Jl. Bangka Raya, Mampang")
    event = o311.event(code)
    assert event.location is None and event.address_text == "Jl. Bangka Raya, Mampang"


async def test_an_anonymous_request_seals_nothing(o311: Open311) -> None:
    code = await o311.submit(email=None, first_name=None, last_name=None, phone=None)
    assert o311.event(code).reporter_ref is None and o311.vault.sealed == {}


async def test_the_api_key_may_come_in_the_query_string(o311: Open311) -> None:
    data = {k: v for k, v in REQUEST.items() if k != "api_key"}
    r = await o311.client.post(f"/open311/v2/requests.json?api_key={KEY}", data=data)
    assert r.status_code == 200, r.text


async def test_a_missing_or_wrong_api_key_is_403(o311: Open311) -> None:
    assert_errors(await o311.post(api_key=None), 403, "api_key was not provided")
    assert_errors(await o311.post(api_key="nope"), 403, "invalid api_key")
    assert_errors(await o311.post(api_key="another-channels-key"), 403, "invalid api_key")
    assert o311.reports.docs == {} and o311.published == []


@pytest.mark.parametrize(
    ("changes", "status", "fragment"),
    [
        ({"description": None}, 400, "description was not provided"),
        ({"description": "   "}, 400, "description was not provided"),
        ({"description": "x" * 4001}, 400, "longer than 4000"),
        ({"service_code": None}, 400, "service_code was not provided"),
        ({"service_code": "potholes"}, 404, "'potholes' was not found"),
        ({"lat": None, "long": None}, 400, "a location is required"),
        ({"lat": None, "long": None, "address_id": "A-1"}, 400, "address_id is not supported"),
        ({"long": None}, 400, "lat and long must both be sent"),
        ({"lat": "south"}, 400, "WGS84"),
        ({"lat": "-96.2"}, 400, "WGS84"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"attribute[visibility]": "everyone"}, 400, "private or public"),
        ({"address_string": "Jl. " * 200}, 400, "address_string: String should have at most"),
    ],
)
async def test_bad_input_is_refused_in_the_open311_shape(
    o311: Open311, changes: dict[str, str | None], status: int, fragment: str
) -> None:
    assert_errors(await o311.post(**changes), status, fragment)
    assert o311.reports.docs == {} and o311.published == []


async def test_every_problem_is_named_at_once(o311: Open311) -> None:
    r = await o311.post(service_code="potholes", description=None, lat=None, long=None)
    assert r.status_code == 404  # the first problem's status; each is listed
    assert len(r.json()) == 3


async def test_other_body_types_and_oversized_bodies_are_refused(o311: Open311) -> None:
    r = await o311.client.post(
        "/open311/v2/requests.json", content=b"<xml/>", headers={"Content-Type": "text/xml"}
    )
    assert_errors(r, 415, "x-www-form-urlencoded")
    r = await o311.client.post(
        "/open311/v2/requests.json", content=b"[1]", headers={"Content-Type": "application/json"}
    )
    assert_errors(r, 400, "JSON object")
    assert_errors(await o311.post(media_url="x" * 70_000), 413, "64 KB")


async def test_broker_down_is_503_with_retry_after_and_nothing_kept(
    o311_broker_down: Open311,
) -> None:
    r = await o311_broker_down.post()
    assert_errors(r, 503, "did not acknowledge")
    assert r.headers["retry-after"].isdigit()
    assert o311_broker_down.reports.docs == {} and o311_broker_down.vault.sealed == {}


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(out, "JPEG")
    photo = out.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(photo)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


async def test_media_url_from_an_allowed_host_becomes_a_photo(
    o311: Open311, media_server: str
) -> None:
    code = await o311.submit(media_url=f"{media_server}/pothole.jpg")
    [photo] = o311.event(code).photos
    assert photo.content_type == "image/jpeg"
    refused = await o311.submit(media_url="https://media.example.com/p.jpg")  # not allowlisted
    assert o311.event(refused).photos == ()  # the report is kept, without the photo


# --- GET a request -------------------------------------------------------------------------------


def status_at(state: ReportState, version: int, **more: Any) -> ReportStatus:
    at = datetime(2026, 11, 22, 3, version, tzinfo=UTC)
    return ReportStatus(state=state, version=version, at=at, unit_id=BANGKA_UNIT, **more)


async def test_a_private_request_shows_its_status_and_service_only(o311: Open311) -> None:
    code = await o311.submit()
    r = await o311.client.get(f"/open311/v2/requests/{code}.json")
    assert r.status_code == 200
    [request] = r.json()
    assert request["service_request_id"] == code
    assert (request["status"], request["status_notes"]) == ("open", "Diterima")
    assert (request["service_code"], request["service_name"]) == ("jalan", "Jalan")
    assert request["requested_datetime"] == request["updated_datetime"]
    assert request["requested_datetime"].endswith("Z")
    for hidden in ("description", "address", "lat", "long", "media_url", "agency_responsible"):
        assert request[hidden] is None, hidden
    assert "bolong" not in r.text and "Budi" not in r.text

    report_id = str(o311.event(code).report_id)
    await o311.reports.record_status(report_id, status_at(ReportState.WAITING, 1))
    [request] = (await o311.client.get(f"/open311/v2/requests/{code.lower()}.json")).json()
    assert (request["status"], request["status_notes"]) == ("open", "Menunggu")
    assert request["agency_responsible"] == "Kelurahan Bangka"
    assert request["updated_datetime"] == "2026-11-22T03:01:00Z"
    assert request["description"] is None and request["lat"] is None


async def test_closed_states_and_the_expected_completion(o311: Open311) -> None:
    code = await o311.submit()
    report_id = str(o311.event(code).report_id)
    due = datetime(2026, 11, 30, 16, 59, 59, tzinfo=UTC)
    await o311.reports.record_status(
        report_id, status_at(ReportState.SCHEDULED, 3, expected_at=due)
    )
    [request] = (await o311.client.get(f"/open311/v2/requests/{code}.json")).json()
    assert request["status"] == "open" and request["status_notes"] == "Estimasi Waktu Selesai"
    assert request["expected_datetime"] == "2026-11-30T16:59:59Z"
    await o311.reports.record_status(report_id, status_at(ReportState.DONE, 5))
    [request] = (await o311.client.get(f"/open311/v2/requests/{code}.json")).json()
    assert (request["status"], request["status_notes"]) == ("closed", "Selesai")
    assert request["updated_datetime"] == "2026-11-22T03:05:00Z"
    assert request["expected_datetime"] is None


async def test_an_unknown_request_is_404(o311: Open311) -> None:
    assert_errors(await o311.client.get("/open311/v2/requests/JKT-NOPE2345.json"), 404, "not found")


# --- GET requests --------------------------------------------------------------------------------


async def test_the_listing_shows_public_reports_only_redacted_and_rounded(o311: Open311) -> None:
    text = "Jalan bolong. Nama saya Budi Santoso, hubungi 0812-9876-5432 atau budi@example.id"
    public = await o311.submit(description=text, **{"attribute[visibility]": "public"})
    private = await o311.submit(description="Rahasia: got mampet di rumah saya")
    r = await o311.client.get("/open311/v2/requests.json")
    assert r.status_code == 200
    [listed] = r.json()
    assert listed["service_request_id"] == public
    assert listed["description"] == (
        "Jalan bolong. Nama saya [disamarkan], hubungi [disamarkan] atau [disamarkan]"
    )
    assert (listed["lat"], listed["long"]) == (-6.264, 106.819)  # about 100 m
    assert private not in r.text and "Rahasia" not in r.text
    # Even asked for by its id, a private report is not listed (only requests/{id}.json shows it).
    by_id = await o311.client.get(f"/open311/v2/requests.json?service_request_id={private}")
    assert by_id.json() == []


def received(code: str, category: str | None, at: datetime, public: bool = True) -> ReportReceived:
    report_id = uuid.uuid4()
    return ReportReceived(
        event_id=uuid.uuid4(),
        occurred_at=at,
        report_id=report_id,
        correlation_id="c",
        tracking_code=code,
        channel="jaki",
        category=category,
        description=f"laporan {code}",
        location=Location(lat=BANGKA[0], lon=BANGKA[1]),
        visibility="public" if public else "private",
        submitted_at=at,
    )


@pytest.fixture
async def history(o311: Open311) -> dict[str, ReportReceived]:
    """Public reports of 1, 10, 60 and 120 days ago; one private; statuses recorded."""
    now = utcnow()
    reports = {
        "JKT-JALAN1": received("JKT-JALAN1", "Jalan", now - timedelta(days=1)),
        "JKT-SAMPAH10": received("JKT-SAMPAH10", "Sampah", now - timedelta(days=10)),
        "JKT-CLASS60": received("JKT-CLASS60", None, now - timedelta(days=60)),
        "JKT-OLD120": received("JKT-OLD120", "Jalan", now - timedelta(days=120)),
        "JKT-PRIV2": received("JKT-PRIV2", "Jalan", now - timedelta(days=2), public=False),
    }
    for event in reports.values():
        await o311.reports.accept(event)
    rid = {code: str(e.report_id) for code, e in reports.items()}
    await o311.reports.record_status(rid["JKT-SAMPAH10"], status_at(ReportState.DONE, 4))
    # A report sent without a category: the routed one (from status-changed) counts.
    await o311.reports.record_status(
        rid["JKT-CLASS60"], status_at(ReportState.WAITING, 1, category="Jalan")
    )
    return reports


async def listed(o311: Open311, query: str) -> list[str]:
    r = await o311.client.get(f"/open311/v2/requests.json?{query}")
    assert r.status_code == 200, r.text
    return [x["service_request_id"] for x in r.json()]


async def test_the_listing_defaults_to_90_days_newest_first(
    o311: Open311, history: dict[str, ReportReceived]
) -> None:
    assert await listed(o311, "") == ["JKT-JALAN1", "JKT-SAMPAH10", "JKT-CLASS60"]


async def test_the_listing_filters_by_service_code_and_status(
    o311: Open311, history: dict[str, ReportReceived]
) -> None:
    assert await listed(o311, "service_code=jalan") == ["JKT-JALAN1", "JKT-CLASS60"]
    assert await listed(o311, "service_code=sampah,jalan&status=closed") == ["JKT-SAMPAH10"]
    assert await listed(o311, "status=open") == ["JKT-JALAN1", "JKT-CLASS60"]
    assert await listed(o311, "status=open&status=closed") == [
        "JKT-JALAN1",
        "JKT-SAMPAH10",
        "JKT-CLASS60",
    ]


async def test_the_listing_filters_by_dates(
    o311: Open311, history: dict[str, ReportReceived]
) -> None:
    def w3c(days_ago: float) -> str:
        return (utcnow() - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert await listed(o311, f"start_date={w3c(15)}") == ["JKT-JALAN1", "JKT-SAMPAH10"]
    assert await listed(o311, f"end_date={w3c(5)}") == ["JKT-SAMPAH10", "JKT-CLASS60"]
    window = f"start_date={w3c(130)}&end_date={w3c(50)}"
    assert await listed(o311, window) == ["JKT-CLASS60", "JKT-OLD120"]
    # An offset other than Z, its "+" sent unencoded (it arrives as a space).
    local = (utcnow() - timedelta(days=15)).astimezone(ZoneInfo("Asia/Jakarta"))
    jakarta = local.strftime("%Y-%m-%dT%H:%M:%S+07:00")
    assert await listed(o311, f"start_date={jakarta}") == ["JKT-JALAN1", "JKT-SAMPAH10"]


async def test_service_request_ids_override_every_other_filter(
    o311: Open311, history: dict[str, ReportReceived]
) -> None:
    found = await listed(o311, "service_request_id=jkt-old120,JKT-JALAN1&status=closed")
    assert sorted(found) == ["JKT-JALAN1", "JKT-OLD120"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("start_date=yesterday", "W3C datetime"),
        ("start_date=2026-11-01T00:00:00", "timezone"),  # no offset
        ("start_date=2026-11-10T00:00:00Z&end_date=2026-11-01T00:00:00Z", "before"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z", "90 days"),
        ("status=pending", "open, closed"),
        ("service_code=potholes", "'potholes'"),
    ],
)
async def test_bad_filters_are_400(o311: Open311, query: str, fragment: str) -> None:
    assert_errors(await o311.client.get(f"/open311/v2/requests.json?{query}"), 400, fragment)
