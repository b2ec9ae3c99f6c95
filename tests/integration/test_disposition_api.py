"""Disposition's HTTP API in-process (its lifespan run) on the real database and Kafka.

Each test gets a fresh database; cases are opened by the service's own routed handler
(`open_from_routed`), so the opening event goes through the outbox to Kafka like in production;
the app does not consume `routed` here (`consume_routed=False`), so it never competes with the
platform's disposition for that topic. Events are read back from Kafka by a tap that starts at
the topic's end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_devstack.infra import ensure_topics
from aduan_disposition.app import create_app
from aduan_disposition.commands import Command, Policy
from aduan_disposition.config import Settings
from aduan_disposition.domain import open_case
from aduan_disposition.handlers import case_opened_event, open_from_routed
from aduan_disposition.lifecycle import apply
from aduan_shared.auth import Principal, issue_dev_token
from aduan_shared.events import (
    REPORT_STATUS_CHANGED,
    PhotoRef,
    ReportRouted,
    ReportState,
    StatusChanged,
    derived_event_id,
    tracking_code_for,
)
from aduan_testkit import jpeg
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from pydantic import SecretStr
from pymongo import AsyncMongoClient

REPO = Path(__file__).resolve().parents[2]
JAKARTA_CONFIG = REPO / "config" / "cities" / "jakarta"
SECRET = "it-disposition-secret-0123456789abcdef"
BANGKA, KUNINGAN = "kelurahan:31.74.03.1002", "kelurahan:31.74.03.1005"
BANGKA_AT = (-6.26418, 106.8193)
DISHUB, SUDIN_SELATAN = "dinas:dishub", "sudin:dishub:31.74"


# --- helpers ------------------------------------------------------------------------------------


def routed(unit_id: str | None = BANGKA, **overrides: Any) -> ReportRouted:
    rid = uuid.uuid4()
    now = datetime.now(UTC)
    at_unit = {
        "kelurahan": {"kode": "31.74.03.1002", "name": "Bangka"},
        "kecamatan": {"kode": "31.74.03", "name": "Mampang Prapatan"},
        "kota": {"kode": "31.74", "name": "Jakarta Selatan"},
        "unit_id": unit_id,
        "unit_name": unit_id,
        "method": "polygon",
        "needs_coordination": False,
        "location": {"lat": BANGKA_AT[0], "lon": BANGKA_AT[1], "source": "gps"},
    }
    pool = {"method": "none", "needs_coordination": True, "reason": "no_location"}
    return ReportRouted.model_validate(
        {
            "event_id": derived_event_id(rid, "routed"),
            "occurred_at": now,
            "report_id": rid,
            "correlation_id": f"it-{rid}",
            "category": "Jalan",
            "category_source": "given",
            "tracking_code": tracking_code_for(rid),
            "channel": "jaki",
            "submitted_at": now - timedelta(minutes=5),
            "reporter_ref": f"rep-{rid.hex[:6]}",
            **(at_unit if unit_id else pool),
            **overrides,
        }
    )


class Tap:
    """Every status-changed event published after it started, by report id."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self.events: dict[str, list[StatusChanged]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._consumer.subscribe([REPORT_STATUS_CHANGED])  # no group: every partition
        for _ in range(300):  # partitions come with the first metadata
            if self._consumer.assignment():
                break
            await asyncio.sleep(0.1)
        tps = sorted(self._consumer.assignment())
        assert tps, f"no partitions of {REPORT_STATUS_CHANGED}"
        await self._consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end offsets now, before any test publishes
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    event = StatusChanged.model_validate_json(record.value)
                    self.events.setdefault(str(event.report_id), []).append(event)

    async def until(
        self, report_id: str, version: int, within_s: float = 20
    ) -> list[StatusChanged]:
        """The report's events (first delivery of each version), once `version` arrived."""
        deadline = asyncio.get_running_loop().time() + within_s
        while asyncio.get_running_loop().time() < deadline:
            seen = self.events.get(report_id, [])
            if any(e.version >= version for e in seen):
                first: dict[int, StatusChanged] = {}
                for e in seen:
                    first.setdefault(e.version, e)
                return list(first.values())
            await asyncio.sleep(0.05)
        pytest.fail(f"version {version} of {report_id} not on Kafka within {within_s}s: {seen}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self._consumer.stop()


@dataclass
class Svc:
    app: FastAPI
    client: httpx.AsyncClient
    tap: Tap
    opened: list[str] = field(default_factory=list)

    @staticmethod
    def headers(*roles: str, unit: str | None = None, sub: str = "officer-1") -> dict[str, str]:
        token = issue_dev_token(SECRET, sub=sub, roles=roles, unit_id=unit)
        return {"Authorization": f"Bearer {token}"}

    async def open(self, unit_id: str | None = BANGKA, **overrides: Any) -> dict[str, Any]:
        event = routed(unit_id, **overrides)
        case = await open_from_routed(self.app.state.deps, event)
        return case.model_dump(mode="json")

    async def act(
        self,
        report_id: str,
        who: dict[str, str],
        action: str,
        version: int | None = None,
        files: list[Any] | None = None,
        **fields: Any,
    ) -> httpx.Response:
        if version is None:
            admin = self.headers("crm_admin")
            version = (await self.client.get(f"/v1/cases/{report_id}", headers=admin)).json()[
                "version"
            ]
        url = f"/v1/cases/{report_id}/transitions"
        headers = {**who, "If-Match": f'"{version}"'}
        body = {"action": action, **fields}
        if files is not None:
            data = {k: str(v) for k, v in body.items()}
            return await self.client.post(url, data=data, files=files, headers=headers)
        return await self.client.post(url, json=body, headers=headers)


OFFICER = Svc.headers("unit_officer", unit=BANGKA)
OTHER_OFFICER = Svc.headers("unit_officer", unit=KUNINGAN, sub="officer-2")
ADMIN = Svc.headers("crm_admin", unit="crm-admin", sub="admin-1")
VERIFIER = Svc.headers("verifier", unit="verifier", sub="verifier-1")
LEADER = Svc.headers("leader", sub="gubernur")


def settings(servers: Any, database: str, **extra: Any) -> Settings:
    return Settings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_url=SecretStr(servers.mongo_url),
        mongodb_database=database,
        auth_jwt_secret=SecretStr(SECRET),
        city_dir=JAKARTA_CONFIG,
        consume_routed=False,
        publish_wait_s=5.0,
        **extra,
    )


@pytest.fixture(scope="module")
def topics(servers: Any) -> None:
    ensure_topics(servers.kafka_bootstrap, [REPORT_STATUS_CHANGED])


@pytest.fixture(scope="module")
async def tap(servers: Any, topics: None) -> AsyncIterator[Tap]:
    t = Tap(servers.kafka_bootstrap)
    await t.start()
    yield t
    await t.stop()


@pytest.fixture
async def svc(servers: Any, tap: Tap) -> AsyncIterator[Svc]:
    name = f"it_disp_{uuid.uuid4().hex[:10]}"
    app = create_app(settings(servers, name))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://disposition") as c:
            yield Svc(app, c, tap)
    client: AsyncMongoClient[Any] = AsyncMongoClient(servers.mongo_url)
    await client.drop_database(name)
    await client.close()


# --- every action --------------------------------------------------------------------------------


async def test_every_action_moves_the_case_and_publishes_in_order(svc: Svc) -> None:
    case = await svc.open()
    rid = case["report_id"]
    hand_over = {"note": "bukan kewenangan", "target_unit_id": KUNINGAN}
    schedule = {"note": "tunggu aspal", "estimated_completion": "2099-01-31"}
    steps: list[tuple[dict[str, str], str, dict[str, Any], str, str]] = [
        (OFFICER, "accept", {}, "in_progress", BANGKA),
        (OFFICER, "hand_over", hand_over, "coordination", "crm-admin"),
        (OTHER_OFFICER, "accept", {}, "waiting", KUNINGAN),  # the named target takes it in
        (OTHER_OFFICER, "accept", {}, "in_progress", KUNINGAN),
        (OTHER_OFFICER, "schedule", schedule, "scheduled", KUNINGAN),
    ]
    for who, action, fields, state, unit in steps:
        r = await svc.act(rid, who, action, **fields)
        assert r.status_code == 200, (action, r.text)
        assert (r.json()["state"], r.json()["unit_id"]) == (state, unit), action
        assert r.headers["etag"] == f'"{r.json()["version"]}"'
    photo = [("photos", ("bukti.jpg", jpeg(101, gps=BANGKA_AT), "image/jpeg"))]
    r = await svc.act(rid, OTHER_OFFICER, "complete", files=photo, note="sudah diaspal")
    assert r.status_code == 200 and r.json()["state"] == "verification", r.text
    r = await svc.act(rid, VERIFIER, "send_back", note="foto kurang jelas")
    assert r.status_code == 200 and r.json()["state"] == "in_progress"
    photo = [("photos", ("bukti2.jpg", jpeg(102, gps=BANGKA_AT), "image/jpeg"))]
    r = await svc.act(rid, OTHER_OFFICER, "complete", files=photo, note="ini fotonya")
    assert r.json()["state"] == "verification"
    r = await svc.act(rid, VERIFIER, "approve")
    assert r.json()["state"] == "done"
    assert [e["status"] for e in r.json()["evidence"]] == ["sent_back", "approved"]
    r = await svc.act(rid, ADMIN, "reopen", note="warga lapor lagi")
    assert r.json()["state"] == "in_progress"
    reason = "not_government_matter"
    r = await svc.act(rid, ADMIN, "reject", note="proyek swasta", reject_reason=reason)
    assert r.json()["state"] == "rejected" and r.json()["reject_reason"] == "not_government_matter"

    events = await svc.tap.until(rid, 12)
    assert [e.version for e in events] == list(range(1, 13))
    states = ["waiting", "in_progress", "coordination", "waiting", "in_progress", "scheduled"]
    states += ["verification", "in_progress", "verification", "done", "in_progress", "rejected"]
    assert [e.to_state.value for e in events] == states
    assert [e.from_state for e in events][:2] == [ReportState.RECEIVED, ReportState.WAITING]
    assert all(a.to_state == b.from_state for a, b in itertools.pairwise(events))
    handed = events[2]
    assert (handed.previous_unit_id, handed.unit_id) == (BANGKA, "crm-admin")
    assert handed.actor.role == "unit_officer" and handed.actor.id == "officer-1"
    scheduled = events[5]
    assert scheduled.estimated_completion is not None
    assert scheduled.estimated_completion.isoformat() == "2099-01-31T23:59:59+07:00"
    assert events[-1].actor.id == "admin-1" and events[-1].tracking_code == case["tracking_code"]

    # The public timeline: states, unit names and times, never an identity or a note.
    track = (await svc.client.get(f"/v1/track/{case['tracking_code']}")).json()
    assert [t["state"] for t in track["timeline"]][:3] == ["received", "waiting", "in_progress"]
    assert len(track["timeline"]) == 13
    text = json.dumps(track)
    for secret in ("officer-1", "admin-1", "verifier-1", case["reporter_ref"], "bukan kewenangan"):
        assert secret not in text


async def test_assign_from_the_pool_and_dispose_to_a_sudin(svc: Svc) -> None:
    pooled = (await svc.open(None))["report_id"]
    r = await svc.act(pooled, ADMIN, "assign", target_unit_id=KUNINGAN)
    assert (r.json()["state"], r.json()["unit_id"]) == ("waiting", KUNINGAN)
    assert r.json()["unit_name"] == "Kelurahan Kuningan Barat"
    dinas = (await svc.open(DISHUB))["report_id"]
    dinas_officer = svc.headers("unit_officer", unit=DISHUB)
    r = await svc.act(dinas, dinas_officer, "dispose", target_unit_id=SUDIN_SELATAN)
    assert (r.json()["state"], r.json()["unit_id"]) == ("disposition", SUDIN_SELATAN)
    r = await svc.act(dinas, svc.headers("unit_officer", unit=SUDIN_SELATAN), "accept")
    assert (r.json()["state"], r.json()["unit_id"]) == ("in_progress", SUDIN_SELATAN)
    events = await svc.tap.until(dinas, 3)
    assert (events[1].previous_unit_id, events[1].unit_id) == (DISHUB, SUDIN_SELATAN)
    assert [e.version for e in await svc.tap.until(pooled, 2)] == [1, 2]


# --- every error ---------------------------------------------------------------------------------


async def test_every_error_code_is_problem_json(svc: Svc) -> None:
    rid = (await svc.open())["report_id"]
    url = f"/v1/cases/{rid}/transitions"

    async def expect(status: int, response: httpx.Response) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status and problem["type"].startswith("https://aduan.id/")
        assert problem["detail"] and "Traceback" not in response.text

    await expect(401, await svc.client.post(url, json={"action": "accept"}))
    await expect(428, await svc.client.post(url, json={"action": "accept"}, headers=OFFICER))
    await expect(403, await svc.act(rid, LEADER, "accept"))  # leaders only read
    await expect(403, await svc.act(rid, ADMIN, "accept"))  # accepting is the unit's
    await expect(403, await svc.act(rid, OTHER_OFFICER, "accept"))  # another unit
    await expect(404, await svc.act(str(uuid.uuid4()), OFFICER, "accept", version=1))
    await expect(409, await svc.act(rid, VERIFIER, "approve"))  # nothing to verify
    await expect(
        409, await svc.act(rid, OFFICER, "schedule", note="x", estimated_completion="2099-01-01")
    )
    await expect(422, await svc.act(rid, OFFICER, "hand_over"))  # reason required
    await expect(422, await svc.act(rid, OFFICER, "teleport"))
    await expect(412, await svc.act(rid, OFFICER, "accept", version=7))
    plain = {**OFFICER, "If-Match": "1", "Content-Type": "text/plain"}
    await expect(415, await svc.client.post(url, content=b"a", headers=plain))
    assert (await svc.act(rid, OFFICER, "accept")).status_code == 200
    gif = [("photos", ("a.gif", b"GIF89a" + bytes(64), "image/gif"))]
    await expect(415, await svc.act(rid, OFFICER, "complete", files=gif, note="x"))
    huge = [("photos", ("big.jpg", b"\xff\xd8\xff" + bytes(10 * 1024 * 1024), "image/jpeg"))]
    await expect(413, await svc.act(rid, OFFICER, "complete", files=huge, note="x"))
    six = [("photos", (f"{i}.jpg", jpeg(i), "image/jpeg")) for i in range(6)]
    await expect(413, await svc.act(rid, OFFICER, "complete", files=six, note="x"))
    await expect(422, await svc.act(rid, OFFICER, "complete", note="no photo"))
    await expect(
        422, await svc.act(rid, OFFICER, "schedule", note="x", estimated_completion="2001-01-01")
    )
    # Nothing of the refused requests was written or published.
    case = (await svc.client.get(f"/v1/cases/{rid}", headers=ADMIN)).json()
    assert case["version"] == 2 and case["evidence"] == []
    await asyncio.sleep(0.5)
    assert [e.version for e in await svc.tap.until(rid, 2)] == [1, 2]


# --- the authorisation matrix --------------------------------------------------------------------

ANON: dict[str, str] = {}
INTAKE = Svc.headers("intake_officer", unit=BANGKA, sub="intake-1")
#: principal → expected status of: list (own unit's), list (?unit_id=Bangka), read the case,
#: accept it, its evidence photo, the units, one unit.
MATRIX = {
    "officer_own_unit": (OFFICER, 200, 200, 200, 200, 200, 200, 200),
    "officer_other_unit": (OTHER_OFFICER, 200, 403, 404, 403, 404, 200, 200),
    "crm_admin": (ADMIN, 200, 200, 200, 403, 200, 200, 200),
    "verifier": (VERIFIER, 200, 200, 200, 403, 200, 200, 200),
    "leader": (LEADER, 200, 200, 200, 403, 200, 200, 200),
    "intake_officer": (INTAKE, 403, 403, 404, 403, 404, 200, 200),
    "anonymous": (ANON, 401, 401, 401, 401, 401, 401, 401),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
async def test_authorisation_matrix(svc: Svc, who: str) -> None:
    headers, *expected = MATRIX[who]
    # A case at Bangka with evidence in verification (another one is accepted by the matrix).
    done = (await svc.open())["report_id"]
    assert (await svc.act(done, OFFICER, "accept")).status_code == 200
    photo = [("photos", ("p.jpg", jpeg(7), "image/jpeg"))]
    evidence = (await svc.act(done, OFFICER, "complete", files=photo, note="ok")).json()
    photo_id = evidence["evidence"][0]["photos"][0]["photo_id"]
    rid = (await svc.open())["report_id"]
    c = svc.client
    got = [
        (await c.get("/v1/cases", headers=headers)).status_code,
        (await c.get(f"/v1/cases?unit_id={BANGKA}", headers=headers)).status_code,
        (await c.get(f"/v1/cases/{rid}", headers=headers)).status_code,
        (await svc.act(rid, headers, "accept", version=1)).status_code,
        (await c.get(f"/v1/cases/{done}/photos/{photo_id}", headers=headers)).status_code,
        (await c.get("/v1/units", headers=headers)).status_code,
        (await c.get(f"/v1/units/{BANGKA}", headers=headers)).status_code,
    ]
    assert got == expected
    listed = await c.get("/v1/cases", headers=headers)
    if listed.status_code == 200:  # data of another unit never leaks into a listing
        units = {i["unit_id"] for i in listed.json()["items"]}
        assert units <= ({KUNINGAN} if who == "officer_other_unit" else {BANGKA})
        assert len(listed.json()["items"]) == (0 if who == "officer_other_unit" else 2)
    # Public tracking needs no identity at all, and shows none.
    track = await c.get(f"/v1/track/{tracking_of(svc, rid)}")
    assert track.status_code == 200


def tracking_of(svc: Svc, rid: str) -> str:
    return tracking_code_for(uuid.UUID(rid))


# --- concurrency ---------------------------------------------------------------------------------


async def test_two_officers_on_one_version_exactly_one_wins(svc: Svc) -> None:
    rid = (await svc.open())["report_id"]
    colleague = svc.headers("unit_officer", unit=BANGKA, sub="officer-9")
    first = await asyncio.gather(
        svc.act(rid, OFFICER, "accept", version=1), svc.act(rid, colleague, "accept", version=1)
    )
    assert sorted(r.status_code for r in first) == [200, 412], [r.text for r in first]
    second = await asyncio.gather(
        svc.act(rid, OFFICER, "hand_over", version=2, note="bukan kewenangan kami"),
        svc.act(
            rid, colleague, "schedule", version=2, note="nanti", estimated_completion="2099-02-01"
        ),
    )
    assert sorted(r.status_code for r in second) == [200, 412], [r.text for r in second]
    loser = next(r for r in second if r.status_code == 412)
    assert loser.json()["current_version"] == 3
    events = await svc.tap.until(rid, 3)
    assert [e.version for e in events] == [1, 2, 3]
    await asyncio.sleep(0.5)  # and no fourth
    assert max(e.version for e in svc.tap.events[rid]) == 3


# --- units ---------------------------------------------------------------------------------------


async def test_units_from_the_city_configuration(svc: Svc) -> None:
    units = (await svc.client.get("/v1/units", headers=OFFICER)).json()
    kinds = {u["kind"] for u in units}
    assert len(units) == 404 and kinds >= {"kelurahan", "kecamatan", "kota", "dinas", "sudin"}
    sudin = (await svc.client.get(f"/v1/units?parent_id={DISHUB}", headers=OFFICER)).json()
    assert len(sudin) == 6 and all(u["kind"] == "sudin" for u in sudin)
    bm = (await svc.client.get("/v1/units/dinas:bina-marga", headers=OFFICER)).json()
    assert bm["head"] == {
        "official_id": "nip:197001011995031001",
        "name": "Kepala Dinas Bina Marga",
        "since": "2024-01-02",
    }
    assert len(bm["sudin"]) == 6
    bangka = (await svc.client.get(f"/v1/units/{BANGKA}", headers=OFFICER)).json()
    assert bangka["name"] == "Kelurahan Bangka" and bangka["kota_kode"] == "31.74"
    assert (await svc.client.get("/v1/units/dinas:nope", headers=OFFICER)).status_code == 404


# --- citizens: rating, reopen ---------------------------------------------------------------------


async def drive_to_done(svc: Svc, rid: str) -> None:
    for who, action, files, fields in [
        (OFFICER, "accept", None, {}),
        (OFFICER, "complete", [("photos", ("d.jpg", jpeg(55), "image/jpeg"))], {"note": "ok"}),
        (VERIFIER, "approve", None, {}),
    ]:
        r = await svc.act(rid, who, action, files=files, **fields)
        assert r.status_code == 200, r.text


async def test_rating_once_after_done(svc: Svc) -> None:
    case = await svc.open()
    code, rid = case["tracking_code"], case["report_id"]
    rate = f"/v1/track/{code}/rating"
    assert (await svc.client.post(rate, json={"stars": 5})).status_code == 409  # not done
    await drive_to_done(svc, rid)
    for bad in ({"stars": 0}, {"stars": 6}, {"stars": 3, "extra": 1}, {"comment": "no stars"}):
        assert (await svc.client.post(rate, json=bad)).status_code == 422, bad
    first = await svc.client.post(rate, json={"stars": 4, "comment": "cepat, terima kasih"})
    assert first.status_code == 201 and first.json()["stars"] == 4
    again = await svc.client.post(rate, json={"stars": 1})
    assert again.status_code == 409 and "already" in again.json()["detail"]
    assert (
        await svc.client.post("/v1/track/JKT-ZZZZZZZZ/rating", json={"stars": 3})
    ).status_code == 404
    track = (await svc.client.get(f"/v1/track/{code.lower()}")).json()
    assert track["rating"] == {"stars": 4, "comment": "cepat, terima kasih"}
    officer_view = (await svc.client.get(f"/v1/cases/{rid}", headers=OFFICER)).json()
    assert officer_view["rating"]["stars"] == 4 and officer_view["rating"]["version"] == 4


async def test_the_reporter_reopens_within_seven_days_only(svc: Svc) -> None:
    case = await svc.open()
    code, rid = case["tracking_code"], case["report_id"]
    reopen = f"/v1/track/{code}/reopen"
    assert (await svc.client.post(reopen, json={"note": "belum"})).status_code == 409
    await drive_to_done(svc, rid)
    assert (await svc.client.post(reopen, json={})).status_code == 422
    r = await svc.client.post(reopen, json={"note": "masih bolong di sisi kiri"})
    assert r.status_code == 200 and r.json()["state"] == "in_progress", r.text
    assert case["reporter_ref"] not in r.text
    event = (await svc.tap.until(rid, 5))[-1]
    assert (event.actor.role, event.actor.id) == ("reporter", case["reporter_ref"])

    # A report done eight days ago: the reporter's window (7 days) has passed; the admin's not.
    old = await seed_done_long_ago(svc, days=8)
    late = await svc.client.post(f"/v1/track/{old.tracking_code}/reopen", json={"note": "lagi"})
    assert late.status_code == 403 and "7 days" in late.json()["detail"]
    assert (await svc.act(old.report_id, ADMIN, "reopen", note="cek ulang")).status_code == 200


async def seed_done_long_ago(svc: Svc, days: int) -> Any:
    start = datetime.now(UTC) - timedelta(days=days, hours=6)
    event = routed(occurred_at=start, submitted_at=start)
    case = open_case(event)
    units = svc.app.state.workflow.rules.units
    officer = Principal("o", "O", frozenset({"unit_officer"}), BANGKA)
    verifier = Principal("v", "V", frozenset({"verifier"}), "verifier")
    photo = PhotoRef(photo_id="p", sha256="c" * 64, content_type="image/jpeg")
    for i, (who, command) in enumerate(
        [
            (officer, Command(action="accept")),
            (officer, Command(action="complete", note="ok", photos=(photo,))),
            (verifier, Command(action="approve")),
        ]
    ):
        at = start + timedelta(hours=i + 1)
        case = apply(case, command, actor=who, units=units, now=at, policy=Policy()).case
    await svc.app.state.deps.cases.create(case, case_opened_event(event, case))
    return case


# --- evidence integrity ---------------------------------------------------------------------------


async def test_evidence_flags_on_the_case_and_the_event(svc: Svc) -> None:
    from aduan_shared.photos import process_photo

    own = jpeg(31)
    ref = process_photo(own).to_ref("intake-photo-1")
    case = await svc.open(photos=[ref.model_dump()])
    rid = case["report_id"]
    assert (await svc.act(rid, OFFICER, "accept")).status_code == 200
    far = (BANGKA_AT[0] + 0.01, BANGKA_AT[1])  # ~1.1 km
    files = [
        ("photos", ("same.jpg", own, "image/jpeg")),  # the report's own photo, re-submitted
        ("photos", ("old.jpg", jpeg(32, taken="2021:05:01 09:00:00", gps=BANGKA_AT), "image/jpeg")),
        ("photos", ("far.jpg", jpeg(33, gps=far), "image/jpeg")),
    ]
    r = await svc.act(rid, OFFICER, "complete", files=files, note="selesai")
    assert r.status_code == 200, r.text
    flags = ["recycled_photo", "photo_predates_report", "photo_far_from_location"]
    assert r.json()["evidence"][-1]["flags"] == flags
    assert (await svc.tap.until(rid, 3))[-1].flags == tuple(flags)
    listed = (await svc.client.get("/v1/cases?state=verification", headers=VERIFIER)).json()
    assert listed["items"][0]["flags"] == flags
    approved = await svc.act(rid, VERIFIER, "approve")
    assert (await svc.tap.until(rid, 4))[-1].flags == tuple(flags)  # the verdict carries them
    assert approved.json()["evidence"][-1]["status"] == "approved"

    # Another report completed with the far photo (pixels the same, EXIF gone): recycled.
    other = (await svc.open())["report_id"]
    await svc.act(other, OFFICER, "accept")
    again = [("photos", ("again.jpg", jpeg(33), "image/jpeg"))]
    r = await svc.act(other, OFFICER, "complete", files=again, note="selesai juga")
    assert r.json()["evidence"][-1]["flags"] == ["recycled_photo"]
    clean = (await svc.open())["report_id"]
    await svc.act(clean, OFFICER, "accept")
    fresh = [("photos", ("new.jpg", jpeg(34, gps=BANGKA_AT), "image/jpeg"))]
    r = await svc.act(clean, OFFICER, "complete", files=fresh, note="selesai")
    assert r.json()["evidence"][-1]["flags"] == []
    stored = await svc.client.get(
        f"/v1/cases/{clean}/photos/{r.json()['evidence'][-1]['photos'][0]['photo_id']}",
        headers=VERIFIER,
    )
    assert stored.status_code == 200 and b"Exif" not in stored.content[:200]


# --- duplicate merge ------------------------------------------------------------------------------


async def test_a_merged_duplicates_reporter_follows_the_original(svc: Svc) -> None:
    original = await svc.open()
    dup = await svc.open()
    dup2 = await svc.open()
    bad = await svc.act(
        dup["report_id"], ADMIN, "reject", note="dobel", duplicate_of=str(uuid.uuid4())
    )
    assert bad.status_code == 422 and "no report" in bad.json()["detail"]
    r = await svc.act(
        dup["report_id"], ADMIN, "reject", note="dobel", duplicate_of=original["report_id"]
    )
    assert r.status_code == 200 and r.json()["duplicate_of"] == original["report_id"]
    assert r.json()["reject_reason"] == "duplicate"
    # A duplicate of the duplicate follows the original too.
    r = await svc.act(
        dup2["report_id"], VERIFIER, "reject", note="dobel", duplicate_of=dup["report_id"]
    )
    assert r.status_code == 200
    event = (await svc.tap.until(dup["report_id"], 2))[-1]
    assert event.duplicate_of == uuid.UUID(original["report_id"])
    assert event.reporter_ref == dup["reporter_ref"] and event.to_state.value == "rejected"
    view = (await svc.client.get(f"/v1/cases/{original['report_id']}", headers=OFFICER)).json()
    assert view["followers"] == [dup["reporter_ref"], dup2["reporter_ref"]]


# --- live tracking across replicas ----------------------------------------------------------------


async def test_the_stream_follows_a_change_made_on_another_replica(svc: Svc, servers: Any) -> None:
    case = await svc.open()
    db = svc.app.state.parts.core.settings.mongodb_database
    other = create_app(settings(servers, db, sse_poll_s=0.2, sse_heartbeat_s=0.5))
    async with other.router.lifespan_context(other):
        chunks, gone, task = await raw_stream(other, f"/v1/track/{case['tracking_code']}/events")
        assert [e["state"] for e in await events(chunks, 2)] == ["received", "waiting"]
        assert (await svc.act(case["report_id"], OFFICER, "accept")).status_code == 200
        (accepted,) = await events(chunks, 1)
        assert (accepted["state"], accepted["version"]) == ("in_progress", 2)
        gone.set()
        task.cancel()


async def raw_stream(app: Any, path: str) -> Any:
    """Call the ASGI app directly so chunks arrive as sent (httpx's ASGITransport buffers)."""
    chunks: asyncio.Queue[str] = asyncio.Queue()
    gone = asyncio.Event()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "server": ("d", 80),
        "client": ("t", 1),
    }

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            await chunks.put(message.get("body", b"").decode())

    return chunks, gone, asyncio.create_task(app(scope, receive, send))


async def events(chunks: asyncio.Queue[str], n: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    buffer = ""
    while len(found) < n:
        buffer += await asyncio.wait_for(chunks.get(), 10)
        *blocks, buffer = buffer.split("\n\n")
        for block in blocks:
            lines = [x for x in block.splitlines() if ": " in x and not x.startswith(":")]
            fields = dict(x.split(": ", 1) for x in lines)
            if fields.get("event") == "status":
                found.append(json.loads(fields["data"]))
    return found
