"""A report's whole life on the platform (six processes, real Kafka and database): submitted to
intake, routed, accepted, scheduled, completed with evidence photos, sent back, completed
again, approved: done; the citizen's live stream (SSE) sees every step in order."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
from aduan_shared.auth import issue_dev_token
from aduan_testkit import jpeg

BANGKA_AT = (-6.26418, 106.8193)
BANGKA = "kelurahan:31.74.03.1002"


def evidence_jpeg(seed: int) -> bytes:
    """A distinct picture with EXIF GPS at Bangka (so no integrity flag is expected)."""
    return jpeg(seed, gps=BANGKA_AT)


def token(platform: Any, *roles: str, unit: str | None = None, sub: str) -> dict[str, str]:
    secret = platform.env["AUTH_JWT_SECRET"]
    return {
        "Authorization": f"Bearer {issue_dev_token(secret, sub=sub, roles=roles, unit_id=unit)}"
    }


async def follow(url: str, seen: list[dict[str, Any]], ended: asyncio.Event) -> None:
    """A citizen's EventSource: collect `status` events until `end`."""
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as client,
        client.stream("GET", url, headers={"Accept": "text/event-stream"}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event, data = "", ""
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and event:
                if event == "end":
                    ended.set()
                    return
                seen.append(json.loads(data))
                event = ""


CITIZEN = "3171" + uuid.uuid4().hex[:12].translate(str.maketrans("abcdef", "123456"))


async def test_from_routed_to_done_through_verification_with_a_live_stream(
    platform: Any,
) -> None:
    jaki_id = f"journey-{uuid.uuid4()}"  # the app's own id, which JAKI's pushes name
    async with httpx.AsyncClient(timeout=30) as client:
        rid, code = await platform.submit(
            client,
            "Jalan bolong besar di depan sekolah",
            BANGKA_AT,
            external_id=jaki_id,
            reporter={"name": "Rina", "citizen_id": CITIZEN},
        )
        case = await asyncio.to_thread(platform.case, rid)
        assert (case["state"], case["unit_id"]) == ("waiting", BANGKA)

        seen: list[dict[str, Any]] = []
        ended = asyncio.Event()
        stream_url = platform.url("disposition", f"/v1/track/{code}/events")
        follower = asyncio.create_task(follow(stream_url, seen, ended))
        for _ in range(100):  # the stream replays what happened so far first
            if len(seen) >= 2:
                break
            await asyncio.sleep(0.05)
        assert [s["state"] for s in seen] == ["received", "waiting"]

        officer = token(platform, "unit_officer", unit=BANGKA, sub="lurah-staff-1")
        verifier = token(platform, "verifier", unit="verifier", sub="biro-1")
        url = platform.url("disposition", f"/v1/cases/{rid}/transitions")
        version = case["version"]

        async def act(who: dict[str, str], action: str, seed: int | None = None, **f: Any) -> Any:
            nonlocal version
            headers = {**who, "If-Match": f'"{version}"'}
            if seed is None:
                r = await client.post(url, json={"action": action, **f}, headers=headers)
            else:
                photo = ("photos", (f"bukti-{seed}.jpg", evidence_jpeg(seed), "image/jpeg"))
                form = {"action": action, **f}
                r = await client.post(url, data=form, files=[photo], headers=headers)
            assert r.status_code == 200, (action, r.text)
            version = int(r.headers["etag"].strip('"'))
            return r.json()

        await act(officer, "accept", note="segera dicek")
        await act(officer, "schedule", note="tunggu aspal", estimated_completion="2099-03-01")
        done_once = await act(officer, "complete", seed=1, note="sudah ditambal")
        assert done_once["state"] == "verification" and done_once["evidence"][0]["flags"] == []
        await act(verifier, "send_back", note="foto tidak menunjukkan lokasi")
        await act(officer, "complete", seed=2, note="ini foto lokasinya")
        final = await act(verifier, "approve")
        assert final["state"] == "done" and final["version"] == 7

        await asyncio.wait_for(ended.wait(), 30)
        await follower
        assert [(s["version"], s["state"]) for s in seen] == [
            (1, "received"),
            (1, "waiting"),
            (2, "in_progress"),
            (3, "scheduled"),
            (4, "verification"),
            (5, "in_progress"),
            (6, "verification"),
            (7, "done"),
        ]
        assert all(s["unit_name"] == "Kelurahan Bangka" for s in seen[1:])

        # The citizen rates it; the public dashboard counts it as done.
        rated = await client.post(
            platform.url("disposition", f"/v1/track/{code}/rating"), json={"stars": 5}
        )
        assert rated.status_code == 201

        async def done_count() -> int:
            summary = (await client.get(platform.url("analytics", "/v1/public/summary"))).json()
            return next((s["count"] for s in summary["states"] if s["state"] == "done"), 0)

        for _ in range(120):
            if await done_count() >= 1:
                break
            await asyncio.sleep(0.25)
        assert await done_count() >= 1

    # The reporter heard every step on JAKI (the app backend's signed push), by the app's own
    # report id and user id; the Kelurahan's officers heard of the new case by their contact.
    def pushes() -> list[str]:
        return [r.json()["template"] for r in platform.outside.jaki.matching(code)]

    wanted = ["received", "routed", "in_progress", "scheduled", "done"]
    for _ in range(120):
        if all(t in pushes() for t in wanted):
            break
        await asyncio.sleep(0.25)
    assert all(t in pushes() for t in wanted), pushes()
    push = next(r for r in platform.outside.jaki.matching(code) if r.json()["template"] == "done")
    assert push.authorized and push.json()["user_id"] == CITIZEN
    assert push.json()["jaki_report_id"] == jaki_id
    to_units = platform.outside.units.matching(code) + [
        m for m in platform.outside.smtp.mails if code.encode() in m.raw
    ]
    assert to_units, "the kelurahan heard nothing of its new case"
    assert not any(CITIZEN in str(m) or "Rina" in str(m) for m in to_units)
