"""Faults during a run of reports: every service killed (-9) in turn and restarted, the broker
restarted, the database restarted. Afterwards every report intake acknowledged is exactly one
case, every notification went out at most once, analytics counts the cases, the SLA ledger is
what a replay of the topics rebuilds; a poison message on every topic lands in its DLQ and the
pipeline goes on.

The design: this module runs on a Kafka broker and a database of its own (local processes, as
`make run` starts them) with a private set of the six services (`start_platform`). So it may
kill and restart all of them without touching the session's `platform`, and no consumer group
is shared: every service's group is `aduan-<service>` (only the notifier's can be renamed), so
two platforms on one broker would split the partitions between them and each would see half the
other's reports. A broker of its own also keeps the poison messages away from the other tests.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_devstack.infra import InfraError, Kafka, Mongo, free_ports
from aduan_shared.auth import issue_dev_token
from aduan_shared.events import ALL_TOPICS, NOTIFICATION_SENT, dlq_topic, report_id_for
from aduan_simulator import Credentials, Shares, SimConfig, Simulator
from aduan_simulator.simulator import RunResult
from aduan_testkit.ledger import replay_ledger
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import MongoClient

REPO = Path(__file__).resolve().parents[2]
JAKARTA_CONFIG = REPO / "config" / "cities" / "jakarta"
REPORTS = int(os.environ.get("ADUAN_FAULT_REPORTS", "1000"))  # `make bench`: 5000
RATE = float(os.environ.get("ADUAN_FAULT_RATE", "10"))
KILL_ORDER = ("intake", "geo-router", "disposition", "sla-monitor", "notifier", "analytics")
DOWN_S = 2.5  # how long a killed service stays down
#: Topics someone consumes (their poison goes to `<topic>.dlq`); nobody consumes
#: notification.sent, whose `.dlq` is the notifier's own "gave up" topic.
CONSUMED = tuple(t for t in ALL_TOPICS if t != NOTIFICATION_SENT)
#: Reports sent by the tests themselves rather than the simulator (they are cases too).
OWN_REPORTS: set[str] = set()
#: The notifier sends at most 1-20 messages a second per channel (providers' limits): here the
#: stand-ins take any rate, so the run drains in seconds rather than minutes. A delivery a
#: killed notifier left `sending` is marked `unknown` (never resent) after 15 s, not 5 min.
FAST_NOTIFIER = {
    "NOTIFIER_RATE_LIMITS": json.dumps(
        dict.fromkeys(
            ("sms", "whatsapp", "x_dm", "meta", "email", "lapor", "jaki", "unit_webhook"), 500.0
        )
    ),
    "NOTIFIER_LOST_AFTER_S": "15",
}
#: Set-up (a broker, a database, six services) and the run take longer than one test's 300 s.
pytestmark = pytest.mark.timeout(480 + REPORTS / RATE)


@dataclass
class OwnServers:
    """What conftest's `Servers` holds, for servers this module starts and may restart."""

    kafka_bootstrap: str
    mongo_url: str
    how: str
    local_kafka: Kafka
    local_mongo: Mongo


@dataclass
class Fault:
    what: str
    began_s: float  # after the run's start
    back_s: float = 0.0  # how long until it was started again (broker/database: until ready)


@dataclass
class FaultRun:
    result: RunResult
    faults: list[Fault] = field(default_factory=list)
    drained_s: float = 0.0
    respawned: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def fault_platform(
    start_platform: Callable[..., AbstractContextManager[Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """A broker, a database and the six services of this module's own."""
    run_dir = tmp_path_factory.mktemp("faults-infra")
    kafka_port, controller_port, mongo_port = free_ports(3)  # none bound yet: held apart
    kafka = Kafka(run_dir, kafka_port, controller_port)
    mongo = Mongo(run_dir, port=mongo_port)
    try:
        try:
            kafka.start(120)
            mongo.start(60)
        except InfraError as exc:
            pytest.fail(f"the fault tests need a local broker and database: {exc}", pytrace=False)
        servers = OwnServers(kafka.bootstrap, mongo.url, "fault test's own", kafka, mongo)
        with start_platform(servers, FAST_NOTIFIER) as platform:
            yield platform
    finally:
        mongo.stop(15)
        kafka.stop(15)


class Chaos:
    """Kills and restarts, as an orchestrator would: a service that exits (one restarted while
    the broker is down exits with status 3) is started again, and counted."""

    def __init__(self, platform: Any, start: float) -> None:
        self.platform = platform
        self.start = start
        self.faults: list[Fault] = []
        self.respawned: Counter[str] = Counter()

    def supervise(self, seconds: float, down: str | None = None) -> None:
        end = time.monotonic() + seconds
        while True:
            for name, proc in self.platform.procs.items():
                if name != down and not proc.is_running():
                    self.respawned[name] += 1
                    proc.spawn()
            if time.monotonic() >= end:
                return
            time.sleep(0.25)

    def all_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        procs = self.platform.procs.values()
        while not all(p.is_running() and p.ready() for p in procs):
            if time.monotonic() > deadline:
                late = [p.name for p in procs if not p.ready()]
                raise AssertionError(f"not ready {timeout:.0f}s after the faults: {late}")
            self.supervise(1)

    def inflict(self) -> None:
        """Each service killed and restarted in turn, then the broker, then the database."""
        time.sleep(2)
        for name in KILL_ORDER:
            proc = self.platform.procs[name]
            began = time.monotonic()
            proc.kill()
            self.supervise(DOWN_S, down=name)
            proc.spawn()
            self.faults.append(Fault(f"kill -9 {name}", began - self.start, DOWN_S))
            self.supervise(3)
        self.all_ready()  # the broker and the database fail under a running platform
        # After the broker's restart aiokafka's idempotent producer may answer
        # OutOfOrderSequenceNumber to every later send (aio-libs/aiokafka#1017); the publisher
        # then renews its producer (aduan_shared.kafka.renew_producer), so intake accepts again.
        for what, server, timeout in (
            ("broker", self.platform.servers.local_kafka, 120),
            ("database", self.platform.servers.local_mongo, 60),
        ):
            began = time.monotonic()
            server.stop(15)
            self.supervise(2)
            server.start(timeout)
            self.faults.append(
                Fault(f"restart {what}", began - self.start, time.monotonic() - began)
            )
            self.all_ready()


def db(platform: Any, service: str) -> Any:
    client: MongoClient[dict[str, Any]] = MongoClient(platform.servers.mongo_url, tz_aware=True)
    return client[platform.databases[service]]


def case_ids(platform: Any) -> list[str]:
    return [str(d["_id"]) for d in db(platform, "disposition")["cases"].find({}, {"_id": 1})]


def delivered(platform: Any) -> Counter[str]:
    """Every message the stand-ins received, by delivery: the key the notifier sends with it
    (Idempotency-Key, delivery_id, client_ref, followup_id, WhatsApp's
    biz_opaque_callback_data, Message-ID), else its content."""
    seen: Counter[str] = Counter()
    outside = platform.outside
    for server in outside.http():
        for r in server.requests:
            key = r.headers.get("idempotency-key")
            if key is None:
                try:
                    body = r.json()
                except ValueError:
                    body = {}
                refs = ("delivery_id", "client_ref", "followup_id", "biz_opaque_callback_data")
                found = [body.get(k) for k in refs]
                key = next((k for k in found if isinstance(k, str)), None)
            seen[f"{server.name}:{key or r.path + r.body.decode(errors='replace')}"] += 1
    for mail in outside.smtp.mails:
        seen[f"mail:{mail.message['Message-ID']}"] += 1
    return seen


def unreceived(deliveries: Any, seen: Counter[str]) -> list[dict[str, Any]]:
    """The deliveries recorded `sent` whose id no stand-in saw (X and Meta messages carry no
    id, and mails only a hash of it: those are left out)."""
    ids = {key.split(":", 1)[1] for key in seen}
    return [
        {k: d.get(k) for k in ("_id", "channel", "template", "attempts", "error", "updated_at")}
        for d in deliveries.find({"status": "sent", "channel": {"$nin": ["x_dm", "meta", "email"]}})
        if d["_id"] not in ids
    ]


def drain(platform: Any, acknowledged: set[str], timeout: float = 180) -> float:
    """Wait until every acknowledged report is a case, analytics counts them all and the
    notifier has nothing left to send, stable for 3 s; the seconds it took."""
    began = time.monotonic()
    stable_since, last = None, None
    while time.monotonic() - began < timeout:
        cases = set(case_ids(platform))
        counted = db(platform, "analytics")["reports"].count_documents({})
        pending = db(platform, "notifier")["deliveries"].count_documents(
            {"status": {"$in": ["pending", "sending"]}}
        )
        state = (len(cases), counted, pending, sum(delivered(platform).values()))
        done = acknowledged <= cases and counted == len(cases) and pending == 0
        if done and state == last:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= 3:
                break
        else:
            stable_since = None
        last = state
        time.sleep(1)
    return time.monotonic() - began


@pytest.fixture(scope="module")
def fault_run(fault_platform: Any) -> FaultRun:
    platform = fault_platform
    config = SimConfig(
        Credentials.from_env(platform.env),
        intake_url=platform.url("intake"),
        disposition_url=platform.url("disposition"),
        smtp=("127.0.0.1", platform.smtp_port),
        seed=11,
        act=True,
        shares=Shares(act=0.1),
        retries=12,  # 503s while the broker or the database restarts
        timeout_s=30,
        case_wait_s=60,
    )
    chaos = Chaos(platform, time.monotonic())

    async def run() -> RunResult:
        chaos.start = time.monotonic()
        faults = asyncio.create_task(asyncio.to_thread(chaos.inflict))
        try:
            return await Simulator(config).run(REPORTS, rate=RATE)
        finally:
            await faults

    began = time.monotonic()
    result = asyncio.run(run())
    chaos.all_ready()
    acknowledged = {s.report_id for s in result.accepted if s.report_id}
    drained = drain(platform, acknowledged)
    run = FaultRun(result, chaos.faults, drained, dict(chaos.respawned))
    print(
        f"\nfault run: {len(result.sent)} sent at {RATE}/s, {len(result.accepted)} acknowledged, "
        f"{len(result.refused)} refused; run {result.duration_s:.1f}s, drained in "
        f"{drained:.1f}s, total {time.monotonic() - began:.1f}s"
    )
    reasons = Counter(
        f"{s.status or ''} {(s.error or '?').split(':')[0][:40]}" for s in result.refused
    )
    print(f"  refused: {dict(reasons.most_common(6))}")
    print(f"  started again after exiting: {run.respawned}")
    for f in run.faults:
        print(f"  {f.began_s:6.1f}s {f.what} (back after {f.back_s:.1f}s)")
    return run


async def test_a_poison_message_on_every_topic_lands_in_its_dlq_and_the_pipeline_goes_on(
    fault_platform: Any,
) -> None:
    """Runs first, on the platform before its faults: a property of its own."""
    platform = fault_platform
    bootstrap = platform.servers.kafka_bootstrap
    tag = uuid.uuid4().hex[:8]
    poisons = {
        topic: [
            f"{{not json: poison-{tag}".encode(),  # not JSON
            json.dumps({"poison": tag, "event_type": topic}).encode(),  # JSON, not the event
        ]
        for topic in ALL_TOPICS
    }
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for topic, values in poisons.items():
            for value in values:
                await producer.send_and_wait(topic, value, key=f"poison-{tag}".encode())
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        *(dlq_topic(t) for t in CONSUMED),
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    landed: dict[str, set[bytes]] = {dlq_topic(t): set() for t in CONSUMED}
    want = {dlq_topic(t): set(poisons[t]) for t in CONSUMED}
    try:
        async with asyncio.timeout(90):
            while any(landed[t] < want[t] for t in want):
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    for r in records:
                        if r.key == f"poison-{tag}".encode():
                            landed[tp.topic].add(r.value)
                            source = dict(r.headers)["dlq_source_topic"].decode()
                            assert source == tp.topic.removesuffix(".dlq")
    except TimeoutError:
        missing = {t: len(want[t] - landed[t]) for t in want if landed[t] < want[t]}
        pytest.fail(f"poison messages not in their DLQ within 90 s: {missing}")
    finally:
        await consumer.stop()
    assert landed == want

    # The pipeline goes on: a valid report afterwards is a case, and every service is ready.
    keys = json.loads(platform.env["INTAKE_API_KEYS"])
    async with httpx.AsyncClient(timeout=30) as http:
        accepted = await http.post(
            platform.url("intake", "/v1/reports"),
            json={
                "channel": "jaki",
                "external_id": f"after-poison-{tag}",
                "category": "Jalan",
                "description": "Jalan berlubang setelah racun",
                "location": {"lat": -6.26418, "lon": 106.8193},
            },
            headers={"X-Api-Key": keys["jaki"]},
        )
        assert accepted.status_code == 202, accepted.text
        for name in platform.procs:
            assert (await http.get(platform.url(name, "/readyz"))).status_code == 200, name
    OWN_REPORTS.add(accepted.json()["report_id"])
    case = await asyncio.to_thread(platform.case, accepted.json()["report_id"], 60)
    assert case["state"] == "waiting"
    print(f"\nDLQ: {sum(len(v) for v in landed.values())} poison messages on {len(landed)} DLQs")


def test_every_acknowledged_report_is_exactly_one_case(
    fault_platform: Any, fault_run: FaultRun
) -> None:
    platform, result = fault_platform, fault_run.result
    assert [f.what for f in fault_run.faults] == [
        *(f"kill -9 {name}" for name in KILL_ORDER),
        "restart broker",
        "restart database",
    ]
    acknowledged = [s.report_id for s in result.accepted]
    assert len(acknowledged) >= REPORTS * 0.4, Counter(s.error for s in result.refused)
    assert len(set(acknowledged)) == len(acknowledged)  # intake gave no id twice
    docs = list(db(platform, "disposition")["cases"].find({}, {"_id": 1, "tracking_code": 1}))
    cases = Counter(str(d["_id"]) for d in docs)
    lost = sorted(set(acknowledged) - set(cases))
    assert lost == [], f"{len(lost)} acknowledged reports are no case: {lost[:10]}"
    assert [rid for rid, n in cases.items() if n > 1] == []
    codes = Counter(d["tracking_code"] for d in docs)
    assert [c for c, n in codes.items() if n > 1] == []
    # A case of no acknowledged report: a send refused by a connection cut after intake had
    # published it (the same channel message gives the same report id). Anything else would
    # be a report duplicated under a new id.
    refused = {str(report_id_for(s.channel, s.external_id)) for s in result.refused}
    unexplained = sorted(set(cases) - set(acknowledged) - refused - OWN_REPORTS)
    assert unexplained == [], f"cases of no report sent: {unexplained[:10]}"
    by_case = {s.report_id: s for s in result.accepted}
    codes_sent = {s.tracking_code for s in by_case.values()}
    assert codes_sent <= set(codes)  # the tracking code intake answered is the case's
    print(
        f"\ncases: {len(cases)} ({len(acknowledged)} acknowledged, "
        f"{len(set(cases) - set(acknowledged))} of refused sends), duplicates 0"
    )


def test_every_notification_went_out_at_most_once(fault_platform: Any, fault_run: FaultRun) -> None:
    """Each message reached its provider at most once, and the records agree with what the
    providers saw. The notifier may still be sending (the drain has a time limit), so the
    records are counted before and after the providers' messages: a delivery recorded `sent`
    before was received before; a message received was, by the later count, recorded `sent`
    (or `failed` on a 4xx), or `unknown` (left `sending` by a kill: it may have gone, and is never
    resent), or is still `sending`."""
    platform = fault_platform
    deliveries = db(platform, "notifier")["deliveries"]

    def count() -> Counter[str]:
        return Counter(d["status"] for d in deliveries.find({}, {"status": 1}))

    before = count()
    seen = delivered(platform)
    after = count()
    twice = {k: n for k, n in seen.items() if n > 1}
    assert twice == {}, f"{len(twice)} notifications sent more than once: {list(twice)[:5]}"
    assert before["sent"] > 0
    assert before["sent"] <= len(seen), (
        f"recorded sent but never received: {unreceived(deliveries, seen)[:10]}"
    )
    assert len(seen) <= after["sent"] + after["failed"] + after["unknown"] + after["sending"]
    statuses = after
    failed = deliveries.find({"status": "failed"})
    errors = Counter(f"{d.get('recipient_kind')}/{d.get('error')}"[:80] for d in failed)
    unknown = Counter(str(d.get("error"))[:60] for d in deliveries.find({"status": "unknown"}))
    print(
        f"\nnotifications: {len(seen)} delivered once each; deliveries {dict(statuses)}; "
        f"failed: {dict(errors)}; unknown (may have gone, never resent): {dict(unknown)}"
    )


def test_analytics_counts_every_case(fault_platform: Any, fault_run: FaultRun) -> None:
    platform = fault_platform
    cases = set(case_ids(platform))
    counted = {str(d["_id"]) for d in db(platform, "analytics")["reports"].find({}, {"_id": 1})}
    assert counted == cases
    summary = httpx.get(platform.url("analytics", "/v1/public/summary"), timeout=30)
    assert summary.status_code == 200, summary.text
    assert summary.json()["total"] == len(cases)


def test_the_sla_ledger_is_what_a_replay_of_the_topics_rebuilds(
    fault_platform: Any, fault_run: FaultRun
) -> None:
    """As of eight days ahead every deadline of the run has passed, so the ledger is not empty:
    every case still waiting at a unit is a breach. The served ledger of each month those
    deadlines fall in is byte for byte what a replay of the topics rebuilds."""
    platform = fault_platform
    now = datetime.now(UTC).replace(microsecond=0)
    as_of = now + timedelta(days=8)  # past every deadline (6 × 24 h after arrival, calendar mode)
    months = sorted({(now + timedelta(days=d)).strftime("%Y-%m") for d in range(9)})
    token = issue_dev_token(platform.env["AUTH_JWT_SECRET"], sub="kepala", roles=["leader"])
    breached: set[str] = set()
    for month in months:
        served = httpx.get(
            platform.url("sla-monitor", "/v1/sla/ledger"),
            params={"month": month, "as_of": as_of.isoformat()},
            headers={"Authorization": f"Bearer {token}", "Accept": "text/csv"},
            timeout=60,
        )
        assert served.status_code == 200, served.text
        replay, _ = asyncio.run(
            replay_ledger(
                platform.servers.kafka_bootstrap, month, as_of.isoformat(), JAKARTA_CONFIG
            )
        )
        assert replay == served.content, month
        rows = list(csv.DictReader(io.StringIO(served.text)))
        assert all(r["month"] == month for r in rows)
        breached |= {r["report_id"] for r in rows}
    waiting = {
        str(d["_id"])
        for d in db(platform, "disposition")["cases"].find(
            {"state": "waiting", "duplicate_of": None}, {"_id": 1}
        )
    }
    assert waiting, "the run left no case waiting at a unit: the ledger check would be empty"
    assert waiting <= breached, f"{len(waiting - breached)} waiting cases are in no ledger"
