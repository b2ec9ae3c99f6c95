"""POST /v1/reports: 202 once published, idempotent per channel message, clear errors."""

import uuid
from typing import Any

from aduan_shared.auth import issue_dev_token
from aduan_shared.events import ReportReceived, report_id_for, tracking_code_for
from aduan_shared.vault import unseal

REPORT = {
    "channel": "jaki",
    "external_id": "jaki-0001",
    "category": "Jalan",
    "description": "  Jalan bolong   di depan SDN 01 😡 ",
    "location": {"lat": -6.2424, "lon": 106.8253},
    "reporter": {"name": "Budi", "phone": "+6281298765432", "email": "budi@example.id"},
}


async def test_jaki_report_is_accepted_and_published(intake: Any) -> None:
    r = await intake.client.post("/v1/reports", json=REPORT, headers=intake.jaki_headers)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "received"
    assert body["tracking_code"].startswith("JKT-")
    [event] = intake.published
    assert str(event.report_id) == body["report_id"]
    assert event.description == "Jalan bolong di depan SDN 01 😡"
    assert event.location is not None and event.location.source == "gps"
    assert event.visibility == "private"


async def test_correlation_id_travels_from_http_into_the_event(intake: Any) -> None:
    headers = intake.jaki_headers | {"X-Correlation-Id": "trace-me-123"}
    r = await intake.client.post("/v1/reports", json=REPORT, headers=headers)
    assert r.headers["x-correlation-id"] == "trace-me-123"
    assert intake.published[0].correlation_id == "trace-me-123"


async def test_reporter_contact_is_sealed_never_in_the_event(intake: Any) -> None:
    await intake.client.post("/v1/reports", json=REPORT, headers=intake.jaki_headers)
    [event] = intake.published
    wire = event.model_dump_json()
    for secret in ("Budi", "6281298765432", "budi@example.id"):
        assert secret not in wire
    assert event.reporter_ref is not None
    sealed = intake.vault.sealed[event.reporter_ref]
    assert unseal(intake.vault_private_key, sealed)["phone"] == "+6281298765432"


async def test_same_external_id_gives_same_report(intake: Any) -> None:
    first = (
        await intake.client.post("/v1/reports", json=REPORT, headers=intake.jaki_headers)
    ).json()
    again = (
        await intake.client.post("/v1/reports", json=REPORT, headers=intake.jaki_headers)
    ).json()
    assert first == again
    assert len(intake.reports.docs) == 1
    assert intake.published[0] == intake.published[1]  # the stored event, republished


async def test_missing_or_wrong_api_key_is_401(intake: Any) -> None:
    r = await intake.client.post("/v1/reports", json=REPORT)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    r = await intake.client.post("/v1/reports", json=REPORT, headers={"X-Api-Key": "nope"})
    assert r.status_code == 401
    latin1 = {"X-Api-Key": "kunci-rahasia-\u00e9".encode("latin-1")}  # not ASCII: still a 401
    r = await intake.client.post("/v1/reports", json=REPORT, headers=latin1)
    assert r.status_code == 401
    assert intake.published == []


async def test_walk_in_needs_an_intake_officer(intake: Any) -> None:
    walk_in = REPORT | {"channel": "kelurahan", "external_id": "desk-1"}
    assert (await intake.client.post("/v1/reports", json=walk_in)).status_code == 401
    officer = issue_dev_token(intake.jwt_secret, sub="o1", roles=["unit_officer"])
    r = await intake.client.post(
        "/v1/reports", json=walk_in, headers={"Authorization": f"Bearer {officer}"}
    )
    assert r.status_code == 403
    clerk = issue_dev_token(intake.jwt_secret, sub="o2", roles=["intake_officer"])
    r = await intake.client.post(
        "/v1/reports", json=walk_in, headers={"Authorization": f"Bearer {clerk}"}
    )
    assert r.status_code == 202
    assert intake.published[0].location is not None
    assert intake.published[0].location.source == "map"


async def test_bad_coordinates_are_422_and_nothing_is_stored(intake: Any) -> None:
    for lat in (95.0, "abc", None):
        bad = REPORT | {"location": {"lat": lat, "lon": 106.8}}
        r = await intake.client.post("/v1/reports", json=bad, headers=intake.jaki_headers)
        assert r.status_code == 422, lat
        assert "location" in r.json()["detail"]
    nan = '{"channel":"jaki","description":"x","location":{"lat":NaN,"lon":106.8}}'
    r = await intake.client.post(
        "/v1/reports",
        content=nan,
        headers=intake.jaki_headers | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert intake.reports.docs == {} and intake.published == []


async def test_unknown_channel_and_native_channels_are_422(intake: Any) -> None:
    r = await intake.client.post(
        "/v1/reports", json=REPORT | {"channel": "fax"}, headers=intake.jaki_headers
    )
    assert r.status_code == 422 and "fax" in r.json()["detail"]
    r = await intake.client.post("/v1/reports", json=REPORT | {"channel": "twitter"})
    assert r.status_code == 422 and "/v1/channels/twitter/messages" in r.json()["detail"]
    r = await intake.client.post("/v1/reports", json=REPORT | {"channel": "open311"})
    assert r.status_code == 422 and "/open311/v2/requests.json" in r.json()["detail"]
    r = await intake.client.post("/v1/channels/open311/messages", json={})
    assert r.status_code == 404 and "/open311/v2/requests.json" in r.json()["detail"]


async def test_broker_down_is_503_with_retry_after_and_nothing_left(
    intake_broker_down: Any,
) -> None:
    r = await intake_broker_down.client.post(
        "/v1/reports", json=REPORT, headers={"X-Api-Key": "jaki-test-key"}
    )
    assert r.status_code == 503
    assert r.headers["retry-after"].isdigit()
    assert r.headers["content-type"] == "application/problem+json"
    assert intake_broker_down.reports.docs == {}
    assert intake_broker_down.vault.sealed == {}


async def test_channel_registry_lists_the_13_channels(intake: Any) -> None:
    channels = (await intake.client.get("/v1/channels")).json()
    assert len(channels) == 14  # the 13 of DOMAIN.md, and open311 beside them
    ids = {c["id"] for c in channels}
    assert {"jaki", "lapor", "balai_warga", "sms_whatsapp", "open311"} <= ids


async def test_a_taken_tracking_code_gives_the_next_one_stably(intake: Any) -> None:
    report_id = report_id_for("jaki", REPORT["external_id"])
    first_choice = tracking_code_for(report_id, "JKT", 0)
    squatter = ReportReceived.model_validate(
        {
            **(await _any_event(intake)).model_dump(),
            "tracking_code": first_choice,
            "report_id": uuid.uuid4(),
        }
    )
    intake.reports.docs[str(squatter.report_id)] = squatter
    body = (
        await intake.client.post("/v1/reports", json=REPORT, headers=intake.jaki_headers)
    ).json()
    assert body["tracking_code"] == tracking_code_for(report_id, "JKT", 1)
    again = await intake.client.post("/v1/reports", json=REPORT, headers=intake.jaki_headers)
    assert again.json() == body


async def _any_event(intake: Any) -> ReportReceived:
    other = REPORT | {"external_id": "someone-else"}
    await intake.client.post("/v1/reports", json=other, headers=intake.jaki_headers)
    return intake.published[-1]  # type: ignore[no-any-return]


async def test_public_form_is_rate_limited_per_client(intake: Any) -> None:
    form = {
        "channel": "balai_warga",
        "description": "Lampu taman mati",
        "location": {"lat": -6.2, "lon": 106.8},
    }
    statuses = [(await intake.client.post("/v1/reports", json=form)).status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    refused = await intake.client.post("/v1/reports", json=form)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["content-type"] == "application/problem+json"
    assert len(intake.published) == 5
