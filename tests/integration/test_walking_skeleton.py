"""One report through intake → geo-router → disposition on real Kafka and the real database."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from aduan_shared.auth import issue_dev_token
from aduan_testkit import eventually

Platform = Any  # the `platform` fixture of conftest.py

SERVICES = ("intake", "geo-router", "disposition", "sla-monitor", "notifier", "analytics")


def jaki_headers(platform: Platform) -> dict[str, str]:
    return {"X-Api-Key": json.loads(platform.env["INTAKE_API_KEYS"])["jaki"]}


def test_every_service_is_ready_with_metrics_and_documents(platform: Platform) -> None:
    for name in SERVICES:
        assert httpx.get(platform.url(name, "/healthz")).json()["status"] == "ok"
        ready = httpx.get(platform.url(name, "/readyz"))
        assert ready.status_code == 200, (name, ready.text)
        assert ready.json()["checks"] == {"kafka": "ok", "mongodb": "ok"}
        metrics = httpx.get(platform.url(name, "/metrics")).text
        assert f"aduan_{name.replace('-', '_')}_up 1.0" in metrics
        assert httpx.get(platform.url(name, "/openapi.json")).status_code == 200
        asyncapi = httpx.get(platform.url(name, "/asyncapi.json")).json()
        assert asyncapi["asyncapi"].startswith("3.") and asyncapi["channels"], name


def test_report_travels_to_waiting_at_its_kelurahan(platform: Platform) -> None:
    bangka = platform.kelurahan_point("Bangka")
    report = {
        "channel": "jaki",
        "external_id": f"it-{uuid.uuid4()}",
        "category": "Jalan",
        "description": "Jalan bolong dekat pertigaan, bahaya buat motor",
        "location": {"lat": float(bangka["lat"]), "lon": float(bangka["lon"])},
        "reporter": {"name": "Warga Bangka", "phone": "+6281200000001"},
    }
    accepted = httpx.post(
        platform.url("intake", "/v1/reports"),
        json=report,
        headers=jaki_headers(platform),
        timeout=15,
    )
    assert accepted.status_code == 202, accepted.text
    code = accepted.json()["tracking_code"]
    report_id = accepted.json()["report_id"]

    def tracked() -> dict[str, Any] | None:
        r = httpx.get(platform.url("disposition", f"/v1/track/{code}"))
        return r.json() if r.status_code == 200 else None

    track = eventually(tracked)
    assert track["state"] == "waiting" and track["label"] == "Menunggu"
    assert track["unit_name"] == "Kelurahan Bangka"
    assert track["kelurahan"] == "Bangka"
    assert [s["state"] for s in track["timeline"]] == ["received", "waiting"]
    assert "Warga Bangka" not in str(track) and "6281200000001" not in str(track)

    admin = issue_dev_token(platform.env["AUTH_JWT_SECRET"], sub="admin", roles=["crm_admin"])
    case = httpx.get(
        platform.url("disposition", f"/v1/cases/{report_id}"),
        headers={"Authorization": f"Bearer {admin}"},
    ).json()
    assert case["unit_id"] == f"kelurahan:{bangka['kode']}"
    assert case["kelurahan"]["kode"] == bangka["kode"]
    assert case["kecamatan"]["name"] == bangka["kecamatan"]

    # The same channel message again is the same report, not a second case.
    again = httpx.post(
        platform.url("intake", "/v1/reports"),
        json=report,
        headers=jaki_headers(platform),
        timeout=15,
    )
    assert again.json() == accepted.json()
    acks = httpx.get(platform.url("intake", "/metrics")).text  # the broker's ack time is measured
    topic = 'topic="aduan.report.received.v1"'
    assert any(
        line.startswith("aduan_intake_publish_ack_seconds_count")
        and topic in line
        and float(line.rsplit(" ", 1)[1]) >= 1
        for line in acks.splitlines()
    ), acks

    # Downstream consumers saw it too: the SLA clock runs and the public count includes it.
    sla = eventually(
        lambda: httpx.get(
            platform.url("sla-monitor", f"/v1/sla/cases/{report_id}"),
            headers=platform.admin_headers(),
        ).json()["assignments"]
    )
    assert sla[0]["unit_id"] == f"kelurahan:{bangka['kode']}"

    def waiting_count() -> int:
        summary = httpx.get(platform.url("analytics", "/v1/public/summary")).json()
        return next(s["count"] for s in summary["states"] if s["state"] == "waiting")

    assert eventually(waiting_count) >= 1
