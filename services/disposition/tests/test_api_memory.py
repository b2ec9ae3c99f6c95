"""The HTTP layer on in-memory stores: bodies, If-Match, listing, units, tracking and its stream."""

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from aduan_disposition.domain import open_case
from aduan_disposition.handlers import case_opened_event

BANGKA = "kelurahan:31.74.03.1002"


@pytest.fixture
async def client(kit: Any) -> Any:
    transport = httpx.ASGITransport(app=kit.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://d") as c:
        yield c


async def opened(kit: Any, routed: Callable[..., Any], **fields: Any) -> Any:
    event = routed(**fields)
    case = open_case(event)
    await kit.cases.create(case, case_opened_event(event, case))
    return case


async def test_transition_needs_if_match_and_a_valid_body(
    kit: Any, client: Any, routed: Any
) -> None:
    case = await opened(kit, routed)
    url = f"/v1/cases/{case.report_id}/transitions"
    officer = kit.headers("unit_officer", unit=BANGKA)
    missing = await client.post(url, json={"action": "accept"}, headers=officer)
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
    h = {**officer, "If-Match": '"1"'}
    for body in ({"action": "fly"}, {"action": "accept", "colour": "red"}):
        r = await client.post(url, json=body, headers=h)
        assert r.status_code == 422 and r.json()["status"] == 422, r.text
    bad = await client.post(url, content=b"{", headers={**h, "Content-Type": "application/json"})
    assert bad.status_code == 422
    text = await client.post(url, content=b"x", headers={**h, "Content-Type": "text/plain"})
    assert text.status_code == 415
    ok = await client.post(url, json={"action": "accept"}, headers=h)
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    assert ok.json()["state"] == "in_progress" and ok.json()["followers"] == []
    again = await client.post(url, json={"action": "accept"}, headers=h)
    assert again.status_code == 412 and again.json()["current_version"] == 2


async def test_complete_as_a_form_with_photos(
    kit: Any, client: Any, routed: Any, jpeg: Callable[..., bytes]
) -> None:
    case = await opened(kit, routed)
    url = f"/v1/cases/{case.report_id}/transitions"
    h = {**kit.headers("unit_officer", unit=BANGKA), "If-Match": '"1"'}
    assert (await client.post(url, json={"action": "accept"}, headers=h)).status_code == 200
    h["If-Match"] = '"2"'
    six = [("photos", (f"{i}.jpg", jpeg(i), "image/jpeg")) for i in range(6)]
    too_many = await client.post(
        url, data={"action": "complete", "note": "x"}, files=six, headers=h
    )
    assert too_many.status_code == 413
    r = await client.post(
        url,
        data={"action": "complete", "note": "sudah", "target_unit_id": ""},
        files=[("photos", ("a.jpg", jpeg(11), "image/png"))],  # the header lies; bytes decide
        headers=h,
    )
    assert r.status_code == 200, r.text
    evidence = r.json()["evidence"][-1]
    assert evidence["status"] == "pending" and evidence["photos"][0]["content_type"] == "image/jpeg"
    photo_url = f"/v1/cases/{case.report_id}/photos/{evidence['photos'][0]['photo_id']}"
    photo = await client.get(photo_url, headers=h)
    assert photo.status_code == 200 and photo.content.startswith(b"\xff\xd8")
    other = kit.headers("unit_officer", unit="kelurahan:31.74.03.1001")
    assert (await client.get(photo_url, headers=other)).status_code == 404


async def test_listing_is_scoped_and_filtered(kit: Any, client: Any, routed: Any) -> None:
    a = await opened(kit, routed)
    b = await opened(kit, routed, category="Sampah")
    await opened(kit, routed, unit=False)
    mine = await client.get("/v1/cases", headers=kit.headers("unit_officer", unit=BANGKA))
    assert {c["report_id"] for c in mine.json()["items"]} == {a.report_id, b.report_id}
    assert mine.json()["total"] == 2
    other = kit.headers("unit_officer", unit=BANGKA)
    assert (await client.get(f"/v1/cases?unit_id=x:{BANGKA}", headers=other)).status_code == 403
    admin = kit.headers("crm_admin")
    every = (await client.get("/v1/cases", headers=admin)).json()
    assert every["total"] == 3 and every["page_size"] == 50
    sampah = (await client.get("/v1/cases?category=Sampah", headers=admin)).json()
    assert [c["report_id"] for c in sampah["items"]] == [b.report_id]
    pool = (await client.get("/v1/cases?state=coordination", headers=admin)).json()
    assert pool["total"] == 1 and pool["items"][0]["unit_id"] == "crm-admin"
    by_kel = await client.get("/v1/cases?kelurahan=Bangka", headers=admin)
    assert by_kel.json()["total"] == 2
    assert (await client.get("/v1/cases?state=nope", headers=admin)).status_code == 422
    assert (await client.get("/v1/cases?page=0", headers=admin)).status_code == 422


async def test_units_from_the_configuration(kit: Any, client: Any) -> None:
    h = kit.headers("leader")
    assert (await client.get("/v1/units")).status_code == 401
    sudin = (await client.get("/v1/units?kind=sudin", headers=h)).json()
    assert [u["id"] for u in sudin] == ["sudin:dishub:31.74"]
    dinas = (await client.get("/v1/units/dinas:dishub", headers=h)).json()
    assert [u["id"] for u in dinas["sudin"]] == ["sudin:dishub:31.74"]
    assert dinas["head"]["official_id"] == "head:dinas:dishub" and dinas["head"]["since"] is None
    assert (await client.get("/v1/units/nope", headers=h)).status_code == 404


async def test_rating_and_reopen_bodies(kit: Any, client: Any, routed: Any) -> None:
    case = await opened(kit, routed)
    code = case.tracking_code
    for stars in (0, 6, "lima"):
        r = await client.post(f"/v1/track/{code}/rating", json={"stars": stars})
        assert r.status_code == 422
    assert (await client.post(f"/v1/track/{code}/rating", json={"stars": 5})).status_code == 409
    blank = await client.post(f"/v1/track/{code}/reopen", json={"note": "  "})
    assert blank.status_code == 422
    assert (await client.post(f"/v1/track/{code}/reopen", json={"note": "x"})).status_code == 409


def events_of(text: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for block in text.split("\n\n"):
        lines = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


async def stream(app: Any, path: str, headers: dict[str, str] | None = None) -> Any:
    """Drive the ASGI app directly, so each chunk arrives as it is sent (httpx's ASGITransport
    would wait for the whole body)."""
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
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "server": ("d", 80),
        "client": ("t", 1),
    }

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            await chunks.put(message.get("body", b"").decode())
        else:
            await chunks.put(f"status {message['status']}\n\n")

    task = asyncio.create_task(app(scope, receive, send))
    return chunks, gone, task


async def next_event(chunks: Any) -> tuple[str, dict[str, Any]]:
    while True:
        found = events_of(await asyncio.wait_for(chunks.get(), 5))
        if found:
            return found[0]


async def test_the_stream_sees_each_change_live_then_ends(
    kit: Any, client: Any, routed: Any, jpeg: Callable[..., bytes]
) -> None:
    case = await opened(kit, routed)
    chunks, gone, task = await stream(kit.app, f"/v1/track/{case.tracking_code}/events")
    assert (await chunks.get()).startswith("status 200")
    assert await next_event(chunks) == ("status", {**first(case, 0), "version": 1})
    assert (await next_event(chunks))[1]["state"] == "waiting"
    h = {**kit.headers("unit_officer", unit=BANGKA)}
    url = f"/v1/cases/{case.report_id}/transitions"
    r = await client.post(url, json={"action": "accept"}, headers={**h, "If-Match": "1"})
    assert r.status_code == 200
    accepted = (await next_event(chunks))[1]
    assert datetime.fromisoformat(accepted.pop("at")) == datetime.fromisoformat(
        r.json()["history"][-1]["at"]
    )
    assert accepted == {
        "version": 2,
        "state": "in_progress",
        "label": "Proses",
        "unit_name": "Kelurahan Bangka",
    }
    admin = kit.headers("crm_admin")
    r = await client.post(
        url, json={"action": "reject", "note": "spam"}, headers={**admin, "If-Match": "2"}
    )
    assert (await next_event(chunks))[1]["state"] == "rejected"
    assert await next_event(chunks) == ("end", {"state": "rejected", "label": "Ditolak"})
    await asyncio.wait_for(task, 5)  # the stream ended by itself
    gone.set()
    # A closed report the client has fully seen: 204 stops EventSource reconnecting.
    resumed = await client.get(
        f"/v1/track/{case.tracking_code}/events", headers={"Last-Event-ID": "3"}
    )
    assert resumed.status_code == 204
    replay = await client.get(f"/v1/track/{case.tracking_code}/events?since=1")
    assert [e for e, _ in events_of(replay.text)] == ["status", "status", "end"]
    assert "rep-1" not in replay.text and "u-1" not in replay.text


def first(case: Any, i: int) -> dict[str, Any]:
    h = case.history[i]
    return {
        "state": h.state.value,
        "label": h.state.label,
        "at": h.at.isoformat(),
        "unit_name": None,
    }


async def test_the_stream_sends_heartbeats(kit: Any, routed: Any) -> None:
    case = await opened(kit, routed)
    chunks, gone, task = await stream(kit.app, f"/v1/track/{case.tracking_code}/events")
    seen = ""
    while ": keep-alive" not in seen:
        seen += await asyncio.wait_for(chunks.get(), 5)
    gone.set()
    task.cancel()
    assert kit.live.watched <= 1
