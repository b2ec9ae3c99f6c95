"""Citizens' journeys on the real platform (six processes, real Kafka and database), one per
channel and the ones between units: a message in the channel's own format (built by the traffic
simulator, signed as intake checks it) → routed to the unit of its place and category → the
unit's officer accepts, works, completes with an evidence photo → the verifier approves → the
reporter hears `done` on the channel they wrote on (the notifier's stand-ins record it) → the
tracking page shows `done` without the reporter → the public dashboard counts it. Then a
hand-over between units, a Dinas → Sudin disposition and a merged duplicate.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import smtplib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aduan_shared.auth import issue_dev_token
from aduan_shared.cityconfig import kota_kode, load_city, resolve_target
from aduan_shared.events import report_id_for, tracking_code_for
from aduan_simulator import CHANNEL_MIX, Credentials
from aduan_simulator.channels import HttpSend, MailSend, Outgoing, build
from aduan_simulator.complaints import Complaint, Contact, LocationMode
from aduan_simulator.photos import jpeg
from aduan_simulator.places import Place, Places
from aduan_simulator.texts import describe, maps_link, place_text

REPO = Path(__file__).resolve().parents[2]
CITY = REPO / "config" / "cities" / "jakarta"
ROUTES = {c.name: c.route for c in load_city(CITY).category_names()}
PLACES = Places.from_city(CITY)
WALK_IN = ("balai_kota", "inspektorat", "walikota", "kecamatan", "kelurahan")
#: How each channel names the place: the app, the desks and LAPOR! send a point; the others
#: say it in words (a maps link in a message, the kelurahan's name in a mail).
MODES: dict[str, LocationMode] = {
    "twitter": "gps",
    "facebook": "gps",
    "leader_social": "gps",
    "sms_whatsapp": "link",
    "email": "named",
}
#: The category each journey reports (text channels: the geo-router classifies the words).
CATEGORY = {
    "jaki": "Jalan",
    "balai_warga": "Sampah",
    "email": "Jalan",
    "lapor": "Jalan",
}
NOTE = "sudah ditangani petugas"  # the note of completing and approving, told to the reporter
DONE = "selesai"  # the Indonesian `done` text: "Laporan {code} selesai. Catatan petugas: …"


@dataclass
class Journey:
    name: str  # the channel, or channel/variant (WhatsApp or SMS)
    out: Outgoing
    stand_in: str  # the notifier's stand-in that must carry the reporter's `done`
    address: str  # what of the reporter's contact that message must name
    report_id: str = ""
    tracking_code: str = ""
    seconds: float = 0.0

    @property
    def complaint(self) -> Complaint:
        return self.out.complaint


def contact(rng: random.Random, name: str) -> Contact:
    digits = "".join(str(rng.randrange(10)) for _ in range(8))
    handle = f"{name.lower()}{rng.randrange(10**6)}"
    return Contact(f"{name} Journey", f"+62813{digits}", f"{handle}@warga.example", handle)


def complaint(
    rng: random.Random,
    channel: str,
    place: Place,
    *,
    category: str = "Jalan",
    mode: LocationMode = "gps",
    who: Contact | None = None,
    public: bool = False,
    external_id: str | None = None,
) -> Complaint:
    where = {"named": place_text(place, rng), "link": f"lokasi: {maps_link(place, rng)}"}
    return Complaint(
        seq=rng.randrange(10**6),
        channel=channel,
        category=category,
        text=describe(category, rng, where.get(mode, "")),
        place=place,
        location_mode=mode,
        photo=None,
        public=public,
        contact=who or contact(rng, "Warga"),
        external_id=external_id or f"journey-{channel}-{uuid.uuid4().hex[:12]}",
        created_at=datetime.now(UTC),
    )


def sender_id(out: Outgoing) -> str:
    """The reporter's id on a social channel, as the channel's webhook names them."""
    assert isinstance(out.send, HttpSend) and out.send.body is not None
    payload = json.loads(out.send.body)
    if "tweet_create_events" in payload:
        return str(payload["tweet_create_events"][0]["user"]["id_str"])
    if "direct_message_events" in payload:
        return str(payload["direct_message_events"][0]["message_create"]["sender_id"])
    if payload.get("object") == "whatsapp_business_account":
        return str(payload["entry"][0]["changes"][0]["value"]["messages"][0]["from"])
    return str(payload["entry"][0]["messaging"][0]["sender"]["id"])


def is_whatsapp(out: Outgoing) -> bool:
    return isinstance(out.send, HttpSend) and "X-Hub-Signature-256" in out.send.headers


def scene(seed: int) -> tuple[random.Random, Place]:
    """A test's own random stream and the first place it draws (the same each run)."""
    rng = random.Random(seed)
    return rng, PLACES.sample(rng)


def jaki(platform: Any, rng: random.Random, place: Place, category: str) -> Outgoing:
    """A JAKI complaint at `place` in `category`, signed with the platform's credentials."""
    creds = Credentials.from_env(platform.env)
    return build(complaint(rng, "jaki", place, category=category), creds)


def journeys(creds: Credentials, rng: random.Random) -> list[Journey]:
    """One journey per channel (and both SMS and WhatsApp), each at its own kelurahan."""
    found: list[Journey] = []
    for channel in CHANNEL_MIX:
        place = PLACES.sample(rng)
        mode = MODES.get(channel, "gps")
        category = CATEGORY.get(channel, rng.choice(["Jalan", "Sampah", "Saluran Air/Banjir"]))
        c = complaint(rng, channel, place, category=category, mode=mode, public=channel == "jaki")
        out = build(c, creds, smtp=True)
        assert c.contact is not None
        if channel == "sms_whatsapp":
            variants: dict[bool, Journey] = {}
            # the simulator sends WhatsApp or SMS by the (random) message id: drawn until both
            # came, from an rng of their own so the other journeys' draws stay the same
            own = random.Random(rng.randrange(2**32))
            while len(variants) < 2:
                c = complaint(own, channel, PLACES.sample(own), mode="link")
                out = build(c, creds)
                assert c.contact is not None
                wa = is_whatsapp(out)
                if wa not in variants:
                    number = c.contact.phone.lstrip("+")
                    name = "sms_whatsapp/whatsapp" if wa else "sms_whatsapp/sms"
                    variants[wa] = Journey(name, out, "whatsapp" if wa else "sms", number)
            found.extend(variants.values())
            continue
        if channel == "jaki":
            found.append(Journey(channel, out, "jaki", out.external_id))
        elif channel == "twitter":
            found.append(Journey(channel, out, "x", sender_id(out)))
        elif channel in ("facebook", "leader_social"):
            found.append(Journey(channel, out, "meta", sender_id(out)))
        elif channel == "email":
            found.append(Journey(channel, out, "smtp", c.contact.email))
        elif channel == "lapor":
            found.append(Journey(channel, out, "lapor", out.external_id))
        else:  # Balai Warga and the walk-in desks took a phone number (and an e-mail)
            found.append(Journey(channel, out, "sms", c.contact.phone.lstrip("+")[-10:]))
    # a walk-in citizen who left an e-mail address only is answered by e-mail
    c = complaint(rng, "kelurahan", PLACES.sample(rng), category="Sampah")
    assert c.contact is not None and c.photo is None
    desk = build(c, creds).send
    assert isinstance(desk, HttpSend) and desk.body is not None
    body = json.loads(desk.body)
    del body["reporter"]["phone"]
    mail_only = HttpSend(desk.path, desk.headers, body=json.dumps(body).encode())
    found.append(
        Journey("kelurahan/e-mail", Outgoing(c, c.external_id, mail_only), "smtp", c.contact.email)
    )
    return found


async def send(client: httpx.AsyncClient, platform: Any, out: Outgoing) -> tuple[str, str]:
    """Deliver the native message to intake: (report id, tracking code)."""
    if isinstance(out.send, MailSend):
        mail = out.send

        def deliver() -> None:
            with smtplib.SMTP("127.0.0.1", platform.smtp_port, timeout=30) as smtp:
                smtp.sendmail(mail.sender, list(mail.recipients), mail.raw)

        await asyncio.to_thread(deliver)
        rid = report_id_for(out.complaint.channel, out.external_id)
        prefix = platform.env.get("ADUAN_TRACKING_PREFIX") or "JKT"
        return str(rid), tracking_code_for(rid, prefix)
    url = platform.url("intake", out.send.path)
    if out.send.form is not None:
        r = await client.post(
            url, data=out.send.form, files=out.send.files, headers=out.send.headers
        )
    else:
        r = await client.post(url, content=out.send.body, headers=out.send.headers)
    assert r.status_code == 202, (out.complaint.channel, r.status_code, r.text)
    body = r.json()
    report = body.get("reports", [body])[0]
    return str(report["report_id"]), str(report["tracking_code"])


async def eventually(
    check: Callable[[], Awaitable[Any]], what: str, within: float = 45, pause: float = 0.3
) -> Any:
    """The first truthy answer of `check`, polling for `within` seconds; else the test fails."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(pause)
    raise AssertionError(f"{what}: not within {within}s (last: {last!r})")


def auth(platform: Any, sub: str, *roles: str, unit: str | None = None) -> dict[str, str]:
    token = issue_dev_token(platform.env["AUTH_JWT_SECRET"], sub=sub, roles=roles, unit_id=unit)
    return {"Authorization": f"Bearer {token}"}


class Desk:
    """Officers' and the verifier's transitions on one case, with If-Match from each ETag."""

    def __init__(self, client: httpx.AsyncClient, platform: Any, report_id: str) -> None:
        self.client, self.platform, self.report_id = client, platform, report_id
        self.url = platform.url("disposition", f"/v1/cases/{report_id}/transitions")

    async def case(self) -> dict[str, Any]:
        r = await self.client.get(
            self.platform.url("disposition", f"/v1/cases/{self.report_id}"),
            headers=self.platform.admin_headers(),
        )
        return r.json() if r.status_code == 200 else {}

    async def opened(self, states: set[str]) -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            case = await self.case()
            return case if case.get("state") in states else None

        result: dict[str, Any] = await eventually(check, f"case {self.report_id} in {states}")
        return result

    async def act(
        self, who: dict[str, str], action: str, *, status: int = 200, photo: Place | None = None,
        **fields: str,
    ) -> dict[str, Any]:  # fmt: skip
        version = (await self.case())["version"]
        headers = {**who, "If-Match": f'"{version}"'}
        if photo is None:
            r = await self.client.post(self.url, json={"action": action, **fields}, headers=headers)
        else:
            picture = jpeg(version, gps=(photo.lat, photo.lon))
            r = await self.client.post(
                self.url,
                data={"action": action, **fields},
                files=[("photos", (f"bukti-{version}.jpg", picture, "image/jpeg"))],
                headers=headers,
            )
        assert r.status_code == status, (action, r.status_code, r.text)
        return r.json()

    async def work_to_done(self, unit: str, place: Place) -> dict[str, Any]:
        """The unit's officer accepts, completes with evidence; the verifier approves."""
        officer = auth(self.platform, f"officer-{unit}", "unit_officer", unit=unit)
        await self.act(officer, "accept", note="dicek ke lokasi")
        done = await self.act(officer, "complete", photo=place, note=NOTE)
        assert done["state"] == "verification"
        verifier = auth(self.platform, "biro-verifier", "verifier", unit="verifier")
        # The reporter's `done` text quotes the officer's completion note (the event's
        # `completion_note`), not the verifier's remark on approving.
        approved = await self.act(verifier, "approve", note="foto sesuai")
        assert approved["state"] == "done" and approved["unit_id"] == unit
        return approved


def delivered(platform: Any, journey: Journey) -> list[str]:
    """The texts (bodies) the reporter's channel stand-in received about this report."""
    code = journey.tracking_code
    if journey.stand_in == "smtp":
        return [
            m.raw.decode(errors="replace")
            for m in platform.outside.smtp.to(journey.address)
            if code.encode() in m.raw
        ]
    server = getattr(platform.outside, journey.stand_in)
    return [r.path + " " + r.body.decode(errors="replace") for r in server.matching(code)]


def unit_mails(platform: Any, unit_id: str, code: str) -> list[str]:
    """The texts of the mails unit `unit_id` got about report `code` (contacts.yaml: every
    unit without a webhook of its own at `{slug}@aduan.jakarta.go.id`)."""
    address = re.sub(r"[^a-z0-9]", "-", unit_id.lower()) + "@aduan.jakarta.go.id"
    return [
        str(m.message.get_body(preferencelist=("plain",)).get_content())
        for m in platform.outside.smtp.to(address)
        if code.encode() in m.raw
    ]


async def by_channel_done(client: httpx.AsyncClient, platform: Any) -> dict[str, int]:
    r = await client.get(platform.url("analytics", "/v1/public/by-channel"))
    assert r.status_code == 200, r.text
    return {row["key"]: row["done"] for row in r.json()["channels"]}


async def track(client: httpx.AsyncClient, platform: Any, code: str) -> dict[str, Any]:
    r = await client.get(platform.url("disposition", f"/v1/track/{code}"))
    assert r.status_code == 200, r.text
    return r.json()


async def run_journey(client: httpx.AsyncClient, platform: Any, journey: Journey) -> None:
    began = time.monotonic()
    c = journey.complaint
    journey.report_id, journey.tracking_code = await send(client, platform, journey.out)
    desk = Desk(client, platform, journey.report_id)
    case = await desk.opened({"waiting", "coordination"})
    what = (journey.name, journey.tracking_code, case["state"], case.get("kelurahan"))
    # routed by place and category: the kelurahan the point (or link, or name) is in
    assert case["state"] == "waiting", what
    assert case["channel"] == c.channel and case["tracking_code"] == journey.tracking_code, what
    assert case["kelurahan"]["kode"] == c.place.kelurahan.kode, what
    if c.channel in CATEGORY or c.channel in WALK_IN:
        assert case["category"] == c.category, what
    unit = resolve_target(ROUTES[case["category"]], c.place.kelurahan.kode)
    assert case["unit_id"] == unit, what
    assert unit is not None
    await desk.work_to_done(unit, c.place)

    # the reporter hears `done` on the channel they wrote on, at their own address
    async def heard() -> list[str]:
        return [t for t in delivered(platform, journey) if DONE in t and journey.address in t]

    told = await eventually(heard, f"{journey.name}: `done` to the reporter on {journey.stand_in}")
    assert any(NOTE in t for t in told), (journey.name, told)  # the officer's closing note

    # the unit heard of its new case, by tracking code and category, never by the reporter
    async def unit_told() -> list[str]:
        return [t for t in unit_mails(platform, unit, journey.tracking_code) if "Aduan baru" in t]

    for text in await eventually(unit_told, f"{journey.name}: the unit told of its new case"):
        assert c.contact is not None
        assert c.contact.name not in text and c.contact.phone not in text, (journey.name, text)
    # the tracking page: done, and nothing of who reported it
    view = await track(client, platform, journey.tracking_code)
    assert view["state"] == "done", what
    shown = json.dumps(view)
    assert c.contact is not None
    for secret in (c.contact.name, c.contact.phone, c.contact.email, journey.address):
        assert secret not in shown, (journey.name, secret)
    journey.seconds = time.monotonic() - began


async def test_a_report_on_each_of_the_13_channels_is_done_and_its_reporter_hears_it_there(
    platform: Any,
) -> None:
    creds = Credentials.from_env(platform.env)
    all_journeys = journeys(creds, random.Random(20261122))
    assert {j.complaint.channel for j in all_journeys} == set(CHANNEL_MIX)
    assert len(CHANNEL_MIX) == 13
    async with httpx.AsyncClient(timeout=30) as client:
        before = await by_channel_done(client, platform)
        began = time.monotonic()
        results = await asyncio.gather(
            *(run_journey(client, platform, j) for j in all_journeys), return_exceptions=True
        )
        failed = [(j.name, repr(r)) for j, r in zip(all_journeys, results, strict=True) if r]
        assert failed == [], failed
        print(
            f"\n{len(all_journeys)} journeys in {time.monotonic() - began:.1f}s: "
            + ", ".join(f"{j.name} {j.seconds:.1f}s" for j in all_journeys)
        )

        # the public dashboard counts each channel's done report (answers cached ~10 s)
        per_channel = {
            ch: sum(1 for j in all_journeys if j.complaint.channel == ch) for ch in CHANNEL_MIX
        }

        async def counted() -> bool:
            now = await by_channel_done(client, platform)
            return all(now.get(ch, 0) >= before.get(ch, 0) + n for ch, n in per_channel.items())

        await eventually(counted, "the public dashboard's done per channel", within=40, pause=1)

        # the public JAKI report is listed as done; the private ones are not listed at all
        public = next(j for j in all_journeys if j.complaint.public)
        private_codes = {j.tracking_code for j in all_journeys if not j.complaint.public}

        async def listed() -> dict[str, Any] | None:
            r = await client.get(platform.url("analytics", "/v1/public/reports"))
            rows = {row["tracking_code"]: row for row in r.json()["reports"]}
            assert not private_codes & set(rows)
            row = rows.get(public.tracking_code)
            return row if row and row["state"] == "done" else None

        row = await eventually(listed, "the public report on the dashboard", within=40, pause=1)
        assert row["kelurahan"] == public.complaint.place.kelurahan.name


async def test_a_hand_over_moves_the_case_to_the_new_unit_and_out_of_the_old_ones_reach(
    platform: Any,
) -> None:
    rng, place = scene(7101)
    elsewhere = PLACES.sample(rng)
    assert place.kelurahan.kode != elsewhere.kelurahan.kode
    out = jaki(platform, rng, place, "Jalan")
    old, new = place.unit_id, elsewhere.unit_id
    async with httpx.AsyncClient(timeout=30) as client:
        rid, code = await send(client, platform, out)
        desk = Desk(client, platform, rid)
        case = await desk.opened({"waiting"})
        assert case["unit_id"] == old
        old_officer = auth(platform, "lurah-lama", "unit_officer", unit=old)
        new_officer = auth(platform, "lurah-baru", "unit_officer", unit=new)
        # the new unit cannot act before the case is handed to it
        await desk.act(new_officer, "accept", status=403)
        await desk.act(old_officer, "accept", note="dicek")
        handed = await desk.act(
            old_officer, "hand_over", target_unit_id=new, note="lokasi masuk wilayah sebelah"
        )
        assert handed["state"] == "coordination"
        assert handed["coordination_target_id"] == new
        # the old unit no longer reaches it, whatever it tries
        for action, fields in (("accept", {}), ("hand_over", {"note": "balik"})):
            await desk.act(old_officer, action, status=403, **fields)
        taken = await desk.act(new_officer, "accept", note="kami tangani")
        assert (taken["state"], taken["unit_id"]) == ("waiting", new)

        async def new_unit_told() -> list[str]:
            return [t for t in unit_mails(platform, new, code) if "dialihkan" in t]

        await eventually(new_unit_told, "the new unit told of the hand-over")
        await desk.act(old_officer, "accept", status=403)
        await desk.work_to_done(new, elsewhere)
        await desk.act(old_officer, "complete", status=403, note="x")
        view = await track(client, platform, code)
        assert view["state"] == "done"
        assert view["unit_name"] == f"Kelurahan {elsewhere.kelurahan.name}"
        units = [e["unit_name"] for e in view["timeline"]]
        assert f"Kelurahan {place.kelurahan.name}" in units


async def test_a_dinas_disposes_to_its_sudin_of_the_kota_which_handles_it_to_done(
    platform: Any,
) -> None:
    rng, place = scene(7202)
    out = jaki(platform, rng, place, "Kebakaran")
    dinas = resolve_target(ROUTES["Kebakaran"], place.kelurahan.kode)
    assert dinas == "dinas:gulkarmat"
    sudin = f"sudin:gulkarmat:{kota_kode(place.kelurahan.kode)}"
    other_kota = next(
        k for k in PLACES.kelurahan.values() if kota_kode(k.kode) != kota_kode(place.kelurahan.kode)
    )
    async with httpx.AsyncClient(timeout=30) as client:
        rid, code = await send(client, platform, out)
        desk = Desk(client, platform, rid)
        case = await desk.opened({"waiting"})
        assert (case["unit_id"], case["category"]) == (dinas, "Kebakaran")
        head = auth(platform, "gulkarmat-pusat", "unit_officer", unit=dinas)
        # only a Sudin of this Dinas: another OPD's Sudin is refused
        await desk.act(head, "dispose", status=422, target_unit_id=f"sudin:lh:{sudin[-5:]}")
        disposed = await desk.act(head, "dispose", target_unit_id=sudin, note="tangani segera")
        assert (disposed["state"], disposed["unit_id"]) == ("disposition", sudin)

        async def sudin_told() -> list[str]:
            return [t for t in unit_mails(platform, sudin, code) if "dialihkan" in t]

        await eventually(sudin_told, "the Sudin told of the disposition")
        await desk.act(head, "accept", status=403)  # the Dinas handed it down
        other_sudin = f"sudin:gulkarmat:{kota_kode(other_kota.kode)}"
        wrong = auth(platform, "sudin-lain", "unit_officer", unit=other_sudin)
        await desk.act(wrong, "accept", status=403)
        await desk.work_to_done(sudin, place)
        view = await track(client, platform, code)
        assert view["state"] == "done"
        assert [e["state"] for e in view["timeline"]][-4:] == [
            "disposition",
            "in_progress",
            "verification",
            "done",
        ]


async def test_a_duplicate_is_merged_and_its_reporter_follows_the_original(
    platform: Any,
) -> None:
    rng, place = scene(7303)
    first = jaki(platform, rng, place, "Jalan")
    second_place = Place(round(place.lat + 0.00005, 6), place.lon, place.kelurahan)  # ~5 m
    second = jaki(platform, rng, second_place, "Jalan")
    async with httpx.AsyncClient(timeout=30) as client:
        rid1, code1 = await send(client, platform, first)
        original = Desk(client, platform, rid1)
        await original.opened({"waiting"})
        rid2, code2 = await send(client, platform, second)
        copy = Desk(client, platform, rid2)
        case2 = await copy.opened({"waiting"})
        assert case2["possible_duplicate_of"] == rid1

        # a unit officer may not merge; the CRM admin does
        officer = auth(platform, "lurah", "unit_officer", unit=place.unit_id)
        await copy.act(officer, "reject", status=403, duplicate_of=rid1, note="sama")
        merged = await copy.act(
            platform.admin_headers(), "reject", duplicate_of=rid1, note="laporan yang sama"
        )
        assert merged["state"] == "rejected"
        assert (merged["duplicate_of"], merged["reject_reason"]) == (rid1, "duplicate")
        assert merged["reporter_ref"] in (await original.case())["followers"]
        assert (await track(client, platform, code2))["state"] == "rejected"

        await original.work_to_done(place.unit_id, place)
        assert (await track(client, platform, code1))["state"] == "done"

    # the merged report's reporter is told on JAKI, on their own report, that it was merged
    # (rejected, the reason: duplicate) and, when the original is done, that it is done.
    async def told(template: str) -> list[Any]:
        return [
            r.json()
            for r in platform.outside.jaki.matching(second.external_id)
            if r.json().get("template") == template
        ]

    async def told_of_merge() -> list[Any]:
        return await told("rejected")

    async def told_done() -> list[Any]:
        return await told("duplicate_done")

    push = (await eventually(told_of_merge, "the merged report's reporter told of the merge", 30))[
        0
    ]
    assert push["tracking_code"] == code2, push
    done = (await eventually(told_done, "the merged report's reporter told it is done", 30))[0]
    assert done["tracking_code"] == code2 and code1 in done["message"], done
