"""The notifier on real Kafka and the database, sending to real protocol endpoints on loopback.

An aiosmtpd server (with SMTP AUTH) records mail; recording HTTP servers (aduan_testkit.recorder)
stand in for the SMS gateway, WhatsApp Cloud API, X, Meta's Send API, LAPOR!, the JAKI backend
and a unit's webhook, each checking its credential. The notifier runs in-process (its app's
lifespan: broker, consumer, dispatcher), reads contacts from a vault written the way intake
writes it, and is fed events through Kafka. Payloads are asserted exactly.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aduan_devstack.infra import InfraError, Kafka, free_port, free_ports
from aduan_devstack.kafka import ensure_topics_async
from aduan_intake.adapters.store import MongoReportStore, MongoVault
from aduan_intake.channel_adapters.email import parse_email
from aduan_notifier.adapters.deliveries import FINAL
from aduan_notifier.app import create_app
from aduan_notifier.config import Settings
from aduan_notifier.outcomes import GAVE_UP_TOPIC
from aduan_notifier.senders.email import message_id
from aduan_shared.events import (
    ALL_DLQ_TOPICS,
    ALL_TOPICS,
    NOTIFICATION_SENT,
    Actor,
    Event,
    NotificationSent,
    ReportReceived,
    ReportState,
    SlaBreached,
    StatusChanged,
)
from aduan_shared.mongo import Document, create_mongo_client
from aduan_shared.vault import generate_keypair, seal
from aduan_testkit.outside import OutsideWorld
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI

pytestmark = pytest.mark.integration

PRIVATE_KEY, PUBLIC_KEY = generate_keypair()
TAG = uuid.uuid4().hex[:8]
WEBHOOK_UNIT = f"kelurahan:99.{TAG}"
EMAIL_UNIT = f"dinas:it-{TAG}"
VERIFIER = f"verifier-{TAG}"
NOW = datetime.now(UTC)


# --- the outside world ----------------------------------------------------------------------

World = OutsideWorld


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with OutsideWorld.running(free_port()) as outside:
        yield outside


# --- the notifier ---------------------------------------------------------------------------


def settings_for(servers: Any, world: World, tmp: Path, tag: str, units: bool = True) -> Settings:
    contacts = tmp / f"contacts-{tag}.yaml"
    entries = {
        WEBHOOK_UNIT: {"webhook": f"{world.units.url}/hooks/{TAG}"},
        EMAIL_UNIT: {"email": f"unit-{TAG}@pemda.test", "language": "en"},
        VERIFIER: {"webhook": f"{world.units.url}/hooks/{VERIFIER}"},
    }
    contacts.write_text(yaml.safe_dump({"units": entries if units else {}}))
    return Settings.model_validate(
        {
            "KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
            "MONGODB_URL": servers.mongo_url,
            "ADUAN_VAULT_PRIVATE_KEY": PRIVATE_KEY,
            "mongodb_database": f"it_notifier_{tag}",
            "vault_database": f"it_vault_{tag}",
            "consumer_group": f"notifier-it-{tag}",
            "verifier_unit_id": VERIFIER,
            "contacts_file": str(contacts),
            **world.notifier_settings(),
            "max_attempts": 4,
            "backoff_base_s": 0.05,
            "backoff_max_s": 0.2,
            "send_timeout_s": 5,
            "breaker_threshold": 50,
            "breaker_reset_s": 0.5,
            "rate_limits": {},
            "rate_burst": 1000,
            "dispatch_interval_s": 0.1,
            "origin_wait_s": 3,
            "lost_after_s": 60,
        }
    )


@dataclass
class Notifier:
    app: FastAPI
    settings: Settings
    db: Any
    vault: MongoVault
    producer: AIOKafkaProducer
    vault_db: Any

    async def publish(self, event: Event) -> None:
        await self.producer.send_and_wait(
            event.TOPIC, event.model_dump_json().encode(), key=event.key
        )

    async def deliveries(
        self, report_id: uuid.UUID, count: int = 1, within: float = 45
    ) -> list[dict[str, Any]]:
        """The report's deliveries once `count` are final with their outcome published."""
        loop = asyncio.get_running_loop()
        until = loop.time() + within
        rows: list[dict[str, Any]] = []
        while loop.time() < until:
            rows = await self.db["deliveries"].find({"report_id": str(report_id)}).to_list()
            done = [r for r in rows if r["status"] in FINAL and r.get("outcome_published")]
            if len(done) >= count:
                return sorted(rows, key=lambda r: r["created_at"])
            await asyncio.sleep(0.1)
        raise AssertionError(f"deliveries of {report_id} not final in {within}s: {rows}")

    async def metrics(self) -> str:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
            return (await client.get("/metrics")).text


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Notifier]:
    app = create_app(settings)
    client = create_mongo_client(settings, "notifier-it")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        async with app.router.lifespan_context(app):
            yield Notifier(
                app,
                settings,
                client[settings.mongodb_database],
                MongoVault(client[settings.vault_database]),
                producer,
                client[settings.vault_database],
            )
    finally:
        await producer.stop()
        await client.close()


@dataclass(frozen=True)
class Isolated:
    kafka_bootstrap: str
    mongo_url: str


@pytest.fixture(scope="module")
def isolated(servers: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Isolated]:
    """A Kafka broker of this module's own (the database is shared): where the other tests
    started the platform, its geo-router and disposition would route the reports published
    here and add status changes (and so messages) this module does not expect."""
    run_dir = tmp_path_factory.mktemp("notifier-kafka")
    kafka = Kafka(run_dir, *free_ports(2))
    try:
        kafka.start(120)
    except InfraError as exc:
        pytest.fail(f"the notifier tests need their own Kafka broker: {exc}", pytrace=False)
    try:
        yield Isolated(kafka.bootstrap, servers.mongo_url)
    finally:
        kafka.stop(15)


@pytest.fixture(scope="module")
async def notifier(
    isolated: Isolated, world: World, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Notifier]:
    await ensure_topics_async(isolated.kafka_bootstrap, [*ALL_TOPICS, *ALL_DLQ_TOPICS])
    settings = settings_for(isolated, world, tmp_path_factory.mktemp("notifier"), TAG)
    async with running(settings) as n:
        yield n
        client: Any = create_mongo_client(settings, "notifier-it-cleanup")
        await client.drop_database(settings.mongodb_database)
        await client.drop_database(settings.vault_database)
        await client.close()


# --- events -----------------------------------------------------------------------------------


@dataclass
class Report:
    id: uuid.UUID
    code: str
    ref: str | None
    received: ReportReceived


async def reported(
    n: Notifier,
    channel: str,
    contact: dict[str, str] | None,
    external_id: str | None = None,
    *,
    description: str = "Jalan berlubang di depan sekolah",
    publish: bool = True,
    anonymous: bool = False,
) -> Report:
    """A report as intake makes it: the contact sealed in the vault, then `report.received`
    (an anonymous one has no reporter_ref at all)."""
    rid = uuid.uuid4()
    code = f"JKT-{uuid.uuid4().hex[:8].upper()}"
    ref = None if anonymous else f"rep-{uuid.uuid4().hex}"
    if contact is not None and ref is not None:
        await n.vault.put(ref, seal(PUBLIC_KEY, contact), channel)
    event = ReportReceived(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        report_id=rid,
        correlation_id=f"it-{code}",
        tracking_code=code,
        channel=channel,
        external_id=external_id or f"ext-{code}",
        description=description,
        reporter_ref=ref,
        submitted_at=NOW,
    )
    if publish:
        await n.publish(event)
    return Report(rid, code, ref, event)


def changed(
    report: Report,
    frm: ReportState,
    to: ReportState,
    version: int,
    unit_id: str | None,
    **extra: Any,
) -> StatusChanged:
    return StatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=NOW + timedelta(minutes=version),
        report_id=report.id,
        correlation_id=f"it-{report.code}",
        from_state=frm,
        to_state=to,
        unit_id=unit_id,
        actor=Actor(role="system", id="it"),
        version=version,
        tracking_code=report.code,
        channel=report.received.channel,
        category="Jalan",
        reporter_ref=report.ref,
        **extra,
    )


def key(event: Event, ref: str) -> str:
    return f"{event.event_id}:reporter:{ref}"


def received_text(code: str) -> str:
    return (
        f'Laporan Anda diterima dengan kode {code}. Simpan kode ini; kirim "status {code}" '
        "untuk menanyakan perkembangannya."
    )


async def on_topic(bootstrap: str, topic: str, report_id: uuid.UUID, expected: int) -> list[bytes]:
    """The values on `topic` keyed by `report_id`, once `expected` arrived (and a moment more)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[bytes] = []
    loop = asyncio.get_running_loop()
    try:
        until = loop.time() + 30
        while loop.time() < until:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found += [r.value for r in records if r.key == str(report_id).encode()]
            if len(found) >= expected:
                until = min(until, loop.time() + 1.5)  # long enough to see a duplicate
    finally:
        await consumer.stop()
    return found


async def outcomes(n: Notifier, report: Report, expected: int = 1) -> list[NotificationSent]:
    values = await on_topic(
        n.settings.kafka_bootstrap_servers, NOTIFICATION_SENT, report.id, expected
    )
    return [NotificationSent.model_validate_json(v) for v in values]


# --- each channel -----------------------------------------------------------------------------


async def test_sms_through_the_gateway_api(notifier: Notifier, world: World) -> None:
    report = await reported(notifier, "sms_whatsapp", {"phone": "+6281100000001"})
    [row] = await notifier.deliveries(report.id)
    assert (row["status"], row["channel"], row["attempts"]) == ("sent", "sms", 1)
    [req] = world.sms.matching(report.code)
    assert (req.method, req.path, req.authorized) == ("POST", "/v1/messages", True)
    assert req.json() == {
        "to": "+6281100000001",
        "text": received_text(report.code),
        "client_ref": key(report.received, str(report.ref)),
    }
    [event] = await outcomes(notifier, report)
    assert (event.recipient_kind, event.channel, event.template) == ("reporter", "sms", "received")
    assert (event.outcome, event.attempts) == ("sent", 1)


async def test_whatsapp_through_the_cloud_api_from_the_number_written_to(
    notifier: Notifier, world: World
) -> None:
    contact = {"phone": "+6281100000002", "name": "Sari", "phone_number_id": "10009"}
    report = await reported(notifier, "sms_whatsapp", contact, "wamid.ABC")
    await notifier.deliveries(report.id)
    [req] = world.whatsapp.matching(report.code)
    assert (req.path, req.authorized) == ("/v21.0/10009/messages", True)
    assert req.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281100000002",
        "type": "text",
        "text": {"preview_url": False, "body": received_text(report.code)},
        "biz_opaque_callback_data": key(report.received, str(report.ref)),
    }


async def test_x_direct_message(notifier: Notifier, world: World) -> None:
    report = await reported(notifier, "twitter", {"user_id": "7001", "handle": "@warga"})
    await notifier.deliveries(report.id)
    [req] = world.x.matching(report.code)
    assert (req.path, req.authorized) == ("/2/dm_conversations/with/7001/messages", True)
    assert req.json() == {"text": received_text(report.code)}


async def test_messenger_through_the_send_api_with_the_page_token(
    notifier: Notifier, world: World
) -> None:
    report = await reported(notifier, "facebook", {"psid": "8001", "page_id": "20009"})
    await notifier.deliveries(report.id)
    [req] = world.meta.matching(report.code)
    assert (req.path, req.query, req.authorized) == (
        "/v21.0/20009/messages",
        {"access_token": "page-token"},
        True,
    )
    assert req.json() == {
        "recipient": {"id": "8001"},
        "messaging_type": "RESPONSE",
        "message": {"text": received_text(report.code)},
    }


async def test_lapor_status_push_by_its_own_tracking_id(notifier: Notifier, world: World) -> None:
    report = await reported(notifier, "lapor", {"name": "Budi", "phone": "+62811"}, "LAP-4711")
    await notifier.publish(
        changed(report, ReportState.IN_PROGRESS, ReportState.DONE, 3, None, note="Sudah ditambal")
    )
    await notifier.deliveries(report.id, 2)
    pushes = world.lapor.matching("LAP-4711")
    assert [(r.path, r.authorized) for r in pushes] == [
        ("/api/complaints/LAP-4711/followups", True)
    ] * 2
    done = next(r.json() for r in pushes if r.json()["status"] == "done")
    assert done == {
        "tracking_id": "LAP-4711",
        "aduan_tracking_code": report.code,
        "status": "done",
        "message": f"Laporan {report.code} selesai. Catatan petugas: Sudah ditambal",
        "followup_id": next(
            r["_id"] for r in await notifier.deliveries(report.id, 2) if r["template"] == "done"
        ),
    }


async def test_an_anonymous_lapor_complaint_is_updated_on_lapor(
    notifier: Notifier, world: World
) -> None:
    report = await reported(notifier, "lapor", None, "LAP-ANON-1", anonymous=True)
    [row] = await notifier.deliveries(report.id)
    assert (row["recipient"], row["status"], row["channel"]) == ("channel:lapor", "sent", "lapor")
    [push] = world.lapor.matching("LAP-ANON-1")
    assert push.path == "/api/complaints/LAP-ANON-1/followups" and push.authorized
    assert push.json()["message"] == received_text(report.code)


async def test_jaki_push_through_the_signed_backend_webhook(
    notifier: Notifier, world: World
) -> None:
    contact = {"name": "Rina", "citizen_id": "3171000000000001"}
    report = await reported(notifier, "jaki", contact, "JAKI-99")
    [row] = await notifier.deliveries(report.id)
    [req] = world.jaki.matching(report.code)
    assert (req.path, req.authorized) == ("/aduan/push", True)
    assert req.headers["idempotency-key"] == row["_id"]
    assert req.json() == {
        "jaki_report_id": "JAKI-99",
        "user_id": "3171000000000001",
        "tracking_code": report.code,
        "template": "received",
        "title": f"Laporan {report.code}",
        "message": received_text(report.code),
        "delivery_id": row["_id"],
    }


async def test_email_replies_are_threaded_to_the_reporter_s_message(
    notifier: Notifier, world: World
) -> None:
    address = f"warga-{uuid.uuid4().hex[:6]}@example.org"
    report = await reported(
        notifier, "email", {"email": address, "name": "Warga"}, "orig-1@mail.example.org"
    )
    routed = changed(report, ReportState.RECEIVED, ReportState.WAITING, 1, EMAIL_UNIT)
    await notifier.publish(routed)
    rows = await notifier.deliveries(report.id, 3)
    assert {(r["template"], r["channel"], r["status"]) for r in rows} == {
        ("received", "email", "sent"),
        ("routed", "email", "sent"),
        ("unit_new_case", "email", "sent"),
    }
    mails = world.smtp.to(address)
    assert len(mails) == 2
    for mail in mails:
        m = mail.message
        assert m["In-Reply-To"] == "<orig-1@mail.example.org>"
        assert m["References"] == "<orig-1@mail.example.org>"
        assert m["Subject"] == f"Re: Laporan {report.code}"
        assert m["From"] == "Aduan Jakarta <noreply@aduan.test>"
    by_id = {mail.message["Message-ID"]: mail.message for mail in mails}
    routed_mail = by_id[message_id(key(routed, str(report.ref)), "aduan.test")]
    assert routed_mail.get_content().strip() == (
        f"Laporan {report.code} sudah diteruskan ke petugas yang berwenang dan menunggu "
        "tindak lanjut."
    )
    [unit_mail] = [
        m for m in world.smtp.to(f"unit-{TAG}@pemda.test") if report.code in m.message["Subject"]
    ]
    assert unit_mail.message["In-Reply-To"] is None
    assert unit_mail.message.get_content().strip() == (  # contacts.yaml: this unit reads English
        f"New report {report.code} (Jalan) for your unit. Please follow it up soon."
    )

    # The citizen answers our mail: intake's own parser and store find the same report.
    reply = (
        f"From: Warga <{address}>\r\nTo: dki@jakarta.go.id\r\n"
        f"Subject: Re: {routed_mail['Subject']}\r\n"
        f"Message-ID: <reply-{report.code}@example.org>\r\n"
        f"In-Reply-To: {routed_mail['Message-ID']}\r\n"
        f"References: {routed_mail['References']} {routed_mail['Message-ID']}\r\n"
        "\r\nMasih belum diperbaiki, Pak.\r\n"
    ).encode()
    parsed = parse_email(reply, received_at=datetime.now(UTC))
    intake_db = notifier.vault_db.client[f"it_intake_{TAG}"]
    reports = MongoReportStore(intake_db)
    await reports.accept(report.received)
    earlier = await reports.by_external_ids("email", parsed.in_reply_to)
    assert earlier is not None and earlier.report_id == report.id
    await intake_db.client.drop_database(intake_db.name)


# --- anonymity ----------------------------------------------------------------------------


async def test_a_unit_hears_nothing_about_the_reporter(notifier: Notifier, world: World) -> None:
    canary = {
        "name": "Canary Kenari Putih",
        "phone": "+6289900001111",
        "email": "canary.kenari@example.org",
    }
    report = await reported(
        notifier,
        "balai_warga",
        canary,
        description="Saya Canary Kenari Putih, rumah saya kebanjiran",
    )
    await notifier.publish(
        changed(
            report,
            ReportState.RECEIVED,
            ReportState.WAITING,
            1,
            WEBHOOK_UNIT,
            note="Dilaporkan oleh Canary Kenari Putih",
        )
    )
    rows = await notifier.deliveries(report.id, 3)
    unit_row = next(r for r in rows if r["recipient_kind"] == "unit")
    [hook] = world.units.matching(report.code)
    assert (hook.path, hook.authorized) == (f"/hooks/{TAG}", True)
    assert hook.json() == {
        "delivery_id": unit_row["_id"],
        "unit_id": WEBHOOK_UNIT,
        "report_id": str(report.id),
        "tracking_code": report.code,
        "template": "unit_new_case",
        "message": (
            f"Aduan baru {report.code} (Jalan) masuk ke unit Anda. Mohon segera ditindaklanjuti."
        ),
    }
    sent_to_units = [hook.body.decode()]
    for needle in ("Canary", "Kenari", "6289900001111", "canary.kenari", str(report.ref)):
        assert not any(needle in body for body in sent_to_units), needle
    # the reporter did hear (by SMS, the phone coming before the e-mail), so the canary was live
    assert len(world.sms.matching("6289900001111")) == 2
    listed = json.dumps(
        [{k: v for k, v in r.items() if k != "created_at"} for r in rows], default=str
    )
    assert "6289900001111" not in listed and "canary.kenari" not in listed


async def test_the_verifier_and_the_unit_hear_of_verification_and_breach(
    notifier: Notifier, world: World
) -> None:
    report = await reported(notifier, "sms_whatsapp", {"phone": "+6281100000050"})
    await notifier.publish(
        changed(report, ReportState.IN_PROGRESS, ReportState.VERIFICATION, 4, WEBHOOK_UNIT)
    )
    deadline = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    breach = SlaBreached(  # without its own code: the notifier knows it from the status change
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        report_id=report.id,
        correlation_id="it",
        assignment_id=f"{report.id}:1",
        unit_id=WEBHOOK_UNIT,
        kind="response",
        deadline=deadline,
        days_elapsed=6.25,
    )
    await notifier.deliveries(report.id, 2)  # the status change (another topic) was handled
    await notifier.publish(breach)
    rows = await notifier.deliveries(report.id, 3)
    assert {(r["recipient"], r["template"], r["status"]) for r in rows} == {
        (report.ref, "received", "sent"),
        (VERIFIER, "verifier_case", "sent"),
        (WEBHOOK_UNIT, "sla_breached", "sent"),
    }
    [to_verifier] = world.units.matching(f"/hooks/{VERIFIER}")
    assert to_verifier.authorized and to_verifier.json()["message"] == (
        f"Aduan {report.code} dilaporkan selesai dengan bukti dan menunggu verifikasi Anda."
    )
    [to_unit] = [
        r for r in world.units.matching(report.code) if r.json()["unit_id"] == WEBHOOK_UNIT
    ]
    assert to_unit.json()["template"] == "sla_breached"
    assert to_unit.json()["message"] == (
        f"Aduan {report.code} melewati batas waktu 28/11/2026 10:00 (6.2 hari) dan tercatat "
        "sebagai pelanggaran."
    )
    assert "6281100000050" not in to_unit.body.decode() + to_verifier.body.decode()


# --- delivery ---------------------------------------------------------------------------------


async def test_a_redelivered_event_sends_one_message(notifier: Notifier, world: World) -> None:
    report = await reported(notifier, "sms_whatsapp", {"phone": "+6281100000010"})
    await notifier.deliveries(report.id)
    await notifier.publish(report.received)  # Kafka delivers again
    # a later event on the same topic and partition: once it is handled, so was the repeat
    marker = await reported(notifier, "sms_whatsapp", {"phone": "+6281100000011"}, publish=False)
    await notifier.publish(marker.received.model_copy(update={"report_id": report.id}))
    await notifier.deliveries(report.id, 2)
    assert len(world.sms.matching("+6281100000010")) == 1
    assert len(world.sms.matching("+6281100000011")) == 1


async def test_503_three_times_then_200_is_sent_once(notifier: Notifier, world: World) -> None:
    world.whatsapp.script(503, 503, 503, match="6281100000020")
    contact = {"phone": "+6281100000020", "phone_number_id": "10001"}
    report = await reported(notifier, "sms_whatsapp", contact)
    [row] = await notifier.deliveries(report.id)
    assert (row["status"], row["attempts"]) == ("sent", 4)
    assert [r.status for r in world.whatsapp.matching("6281100000020")] == [503, 503, 503, 200]
    [event] = await outcomes(notifier, report)
    assert (event.outcome, event.attempts, event.channel) == ("sent", 4, "whatsapp")


async def test_a_channel_always_failing_gives_up_to_the_dlq(
    notifier: Notifier, world: World
) -> None:
    world.x.always(503, match="/with/7099/")
    report = await reported(notifier, "twitter", {"user_id": "7099"})
    [row] = await notifier.deliveries(report.id)
    assert (row["status"], row["attempts"], row["error"]) == ("gave_up", 4, "http 503")
    assert len(world.x.matching("/with/7099/")) == 4
    [event] = await outcomes(notifier, report)
    assert (event.outcome, event.attempts, event.channel) == ("gave_up", 4, "x_dm")
    [dead] = await on_topic(notifier.settings.kafka_bootstrap_servers, GAVE_UP_TOPIC, report.id, 1)
    assert json.loads(dead) == {
        "delivery_id": row["_id"],
        "report_id": str(report.id),
        "source_event_id": str(report.received.event_id),
        "source_topic": report.received.TOPIC,
        "recipient_kind": "reporter",
        "recipient": report.ref,
        "channel": "x_dm",
        "template": "received",
        "attempts": 4,
        "error": "http 503",
    }
    assert (
        'aduan_notifier_deliveries_total{channel="x_dm",outcome="gave_up",template="received"} 1.0'
        in await notifier.metrics()
    )


async def test_a_400_is_not_retried(notifier: Notifier, world: World) -> None:
    world.meta.script(400, match="8099")
    report = await reported(notifier, "facebook", {"psid": "8099"})
    [row] = await notifier.deliveries(report.id)
    assert (row["status"], row["attempts"], row["error"]) == ("failed", 1, "http 400")
    assert len(world.meta.matching("8099")) == 1
    [event] = await outcomes(notifier, report)
    assert (event.outcome, event.attempts) == ("failed", 1)


async def test_a_reporter_without_a_contact_is_recorded_and_sent_nothing(
    notifier: Notifier, world: World
) -> None:
    report = await reported(notifier, "sms_whatsapp", None)  # nothing in the vault
    [row] = await notifier.deliveries(report.id)
    assert (row["status"], row["attempts"], row["error"], row["channel"]) == (
        "failed",
        0,
        "no_contact",
        "none",
    )
    assert world.everything_containing(report.code) == []
    [event] = await outcomes(notifier, report)
    assert (event.outcome, event.attempts, event.channel) == ("failed", 0, "none")


async def test_a_delivery_left_sending_by_a_crash_is_marked_unknown_not_resent(
    notifier: Notifier, world: World
) -> None:
    report = await reported(notifier, "sms_whatsapp", {"phone": "+6281100000030"}, publish=False)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    doc: Document = {
        "_id": key(report.received, str(report.ref)),
        "report_id": str(report.id),
        "event_id": str(report.received.event_id),
        "topic": report.received.TOPIC,
        "correlation_id": "it",
        "recipient_kind": "reporter",
        "recipient": report.ref,
        "template": "received",
        "text": received_text(report.code),
        "params": {"tracking_code": report.code},
        "source_channel": "sms_whatsapp",
        "status": "sending",
        "claim": "crashed-process",
        "sending_at": long_ago,
        "channel": "sms",
        "attempts": 1,
        "next_attempt_at": long_ago,
        "created_at": long_ago,
    }
    await notifier.db["deliveries"].insert_one(doc)
    await notifier.publish(report.received)  # and the event comes again after the restart
    [row] = await notifier.deliveries(report.id)
    assert (row["status"], row["error"]) == ("unknown", "unknown_after_crash")
    await asyncio.sleep(0.5)
    assert world.sms.matching("+6281100000030") == []
    [event] = await outcomes(notifier, report)
    assert (event.outcome, event.attempts) == ("failed", 1)


async def test_a_restarted_notifier_does_not_send_again(
    isolated: Isolated, world: World, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    settings = settings_for(isolated, world, tmp_path, tag, units=False)
    async with running(settings) as first:
        report = await reported(first, "sms_whatsapp", {"phone": "+6281100000040"})
        await first.deliveries(report.id)
    async with running(settings) as second:  # same database, same consumer group
        await second.publish(report.received)
        marker = await reported(second, "sms_whatsapp", {"phone": "+6281100000041"}, publish=False)
        await second.publish(marker.received.model_copy(update={"report_id": report.id}))
        await second.deliveries(report.id, 2)
        client: Any = create_mongo_client(settings, "cleanup")
        await client.drop_database(settings.mongodb_database)
        await client.drop_database(settings.vault_database)
        await client.close()
    assert len(world.sms.matching("+6281100000040")) == 1
    assert len(world.sms.matching("+6281100000041")) == 1
