"""The scan: each warning and breach claimed once, published with the right official, retried."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from aduan_shared.auth import JwtVerifier, issue_dev_token
from aduan_shared.cityconfig import Head, PenaltyStep
from aduan_shared.errors import install_problem_handlers
from aduan_shared.events import (
    ReportState,
    SlaBreached,
    SlaWarning,
    StatusChanged,
    derive_id,
)
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.settings import AuthSettings
from aduan_sla_monitor.api import LedgerSource, create_api
from aduan_sla_monitor.calendars import JAKARTA, SlaPolicy
from aduan_sla_monitor.handlers import Deps, record
from aduan_sla_monitor.metrics import SlaGauges
from aduan_sla_monitor.scanner import Scanner
from fastapi import FastAPI

from .facts import KEL, change
from .fakes import MemoryClocks, MemoryPublisher, MemoryReports, MemorySignals

S = ReportState
T0 = datetime(2026, 11, 17, 10, tzinfo=JAKARTA)  # a Tuesday
POLICY = SlaPolicy()
DEFAULT_PENALTY = (PenaltyStep(min_breaches=1, cut_percent=10),)
SECRET = "sla-test-secret-0123456789abcdef0123"


def day(d: float) -> datetime:
    return T0 + timedelta(days=d)


def heads(unit_id: str, at: datetime) -> Head:
    """Pak A heads the unit until 2026-11-22, Bu B from the 23rd (Jakarta dates)."""
    if at.astimezone(JAKARTA).date() < date(2026, 11, 23):
        return Head(official_id="official:A", name="Pak A", **{"from": date(2020, 1, 1)})
    return Head(official_id="official:B", name="Bu B", **{"from": date(2026, 11, 23)})


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class World:
    def __init__(self, now: datetime, failures: int = 0) -> None:
        self.reports = MemoryReports()
        self.signals = MemorySignals()
        self.publisher = MemoryPublisher(failures)
        self.clocks = MemoryClocks()
        self.clock = Clock(now)
        self.deps = Deps(self.reports, self.clocks, ServiceMetrics("sla-test"), POLICY)

    def scanner(self, publisher: MemoryPublisher | None = None) -> Scanner:
        return Scanner(
            self.reports,
            self.signals,
            publisher or self.publisher,
            POLICY,
            heads,
            now=self.clock,
            lease_s=60,
        )

    async def record(self, *events: StatusChanged) -> None:
        for e in events:
            await record(self.deps, e)


REPORT = uuid.UUID(int=61)
WAITING = change(REPORT, 1, S.RECEIVED, S.WAITING, T0)


async def test_each_signal_is_published_once_across_scans_and_scanners() -> None:
    world = World(day(7))
    await world.record(WAITING)
    one, two = world.scanner(), world.scanner()
    await asyncio.gather(one.scan(), two.scan(), one.scan())
    await two.scan()
    sent = world.publisher.sent
    assert [type(e) for e in sent] == [SlaWarning, SlaWarning, SlaBreached]
    assert [getattr(e, "warning_at_days", None) for e in sent] == [4, 5, None]
    assert len({e.event_id for e in sent}) == 3
    assert all(r.published for r in world.signals.rows.values())
    breach = sent[2]
    assert isinstance(breach, SlaBreached)
    assert breach.deadline == day(6) and breach.occurred_at == day(6)
    assert breach.days_elapsed == 6.0 and breach.kind == "response"
    assert breach.event_id == derive_id("sla-signal", f"{REPORT}:1/response/breach")
    assert breach.correlation_id == "corr-1" and breach.unit_id == KEL


async def test_signals_fall_due_one_at_a_time() -> None:
    world = World(day(3.9))
    await world.record(WAITING)
    scanner = world.scanner()
    assert (await scanner.scan()).published == 0
    world.clock.at = day(4)
    assert (await scanner.scan()).published == 1
    world.clock.at = day(5.5)
    assert (await scanner.scan()).published == 1
    world.clock.at = day(6) - timedelta(seconds=1)
    assert (await scanner.scan()).published == 0
    world.clock.at = day(6)
    assert (await scanner.scan()).published == 1


async def test_breach_charged_to_the_head_at_the_deadline() -> None:
    # Arrival on the 17th: warnings on the 21st (A) and 22nd (A), deadline on the 23rd (B).
    world = World(day(8))
    await world.record(WAITING)
    await world.scanner().scan()
    officials = [(e.event_type, e.official_id) for e in world.publisher.sent]  # type: ignore[attr-defined]
    assert officials == [
        ("aduan.sla.warning", "official:A"),
        ("aduan.sla.warning", "official:A"),
        ("aduan.sla.breached", "official:B"),
    ]


async def test_an_unpublished_signal_is_retried_as_the_same_event() -> None:
    world = World(day(6.5), failures=2)  # the broker refuses the first two
    await world.record(WAITING)
    scanner = world.scanner()
    first = await scanner.scan()
    assert first.claimed == 3 and first.failed == 2 and first.published == 1
    unpublished = [r for r in world.signals.rows.values() if not r.published]
    assert len(unpublished) == 2
    world.clock.at = day(6.5) + timedelta(seconds=30)
    second = await scanner.scan()
    assert second.claimed == 0 and second.published == 2
    assert all(r.published for r in world.signals.rows.values())
    sent = world.publisher.sent
    assert len(sent) == 3 and len({e.event_id for e in sent}) == 3
    assert {r.key: r.event for r in unpublished} == {
        r.key: r.event for r in world.signals.rows.values() if r.key in {u.key for u in unpublished}
    }


async def test_rows_a_failed_publish_left_are_sent_once_by_the_next_scanners() -> None:
    world = World(day(6.5))
    await world.record(WAITING)
    # A replica claimed the breach and crashed before its ack was recorded.
    stuck = World(day(6.5), failures=99)
    stuck.reports, stuck.signals = world.reports, world.signals
    crashed = stuck.scanner()
    await crashed.scan()
    assert world.signals.rows and not any(r.published for r in world.signals.rows.values())
    # Its release put the rows back at once; a healthy replica publishes each exactly once.
    await asyncio.gather(world.scanner().scan(), world.scanner().scan())
    assert len(world.publisher.sent) == 3
    assert all(r.published for r in world.signals.rows.values())


async def test_lease_blocks_concurrent_retry() -> None:
    world = World(day(6.5))
    await world.record(WAITING)
    await world.scanner(MemoryPublisher(failures=99)).scan()
    # A row taken by one replica (lease until +60 s) is not taken by another in the meantime.
    now = world.clock.at
    taken = await world.signals.take_unpublished(now, now + timedelta(seconds=60))
    assert taken is not None
    await world.scanner().scan()
    assert len(world.publisher.sent) == 2
    assert not world.signals.rows[taken.key].published
    world.clock.at = now + timedelta(seconds=61)
    await world.scanner().scan()
    assert world.signals.rows[taken.key].published
    assert len(world.publisher.sent) == 3


async def test_handled_in_time_signals_nothing_and_leaves_the_scan() -> None:
    world = World(day(10))
    await world.record(
        WAITING,
        change(REPORT, 2, S.WAITING, S.IN_PROGRESS, day(1)),
        change(REPORT, 3, S.IN_PROGRESS, S.VERIFICATION, day(2)),
        change(REPORT, 4, S.VERIFICATION, S.DONE, day(3)),
    )
    # Done before any warning: nothing can ever signal, so the report leaves the scan as its
    # last event is recorded, and no scan reads it.
    assert world.reports.docs[str(REPORT)]["scan"] is False
    result = await world.scanner().scan()
    assert result.reports == 0 and world.publisher.sent == []


async def test_a_scan_reads_a_report_only_once_a_point_fell_due() -> None:
    world = World(day(3))
    await world.record(WAITING)
    assert world.reports.docs[str(REPORT)]["due_from"] == day(4)  # the first warning
    assert (await world.scanner().scan()).reports == 0  # nothing due: not read
    world.clock.at = day(4.5)
    result = await world.scanner().scan()
    assert result.reports == 1 and [type(e) for e in world.publisher.sent] == [SlaWarning]
    assert world.reports.docs[str(REPORT)]["due_from"] == day(5)  # moved to the next point
    assert (await world.scanner().scan()).reports == 0


async def test_late_handling_breach_is_signalled_then_the_report_leaves_the_scan() -> None:
    world = World(day(10))
    await world.record(WAITING, change(REPORT, 2, S.WAITING, S.SCHEDULED, day(6.5)))
    await world.scanner().scan()
    assert [e.event_type for e in world.publisher.sent][-1] == "aduan.sla.breached"
    assert world.reports.docs[str(REPORT)]["scan"] is False


async def test_an_event_arriving_during_a_scan_keeps_the_report_scanned() -> None:
    world = World(day(1))
    await world.record(WAITING)
    read = []
    async for report in world.reports.to_scan(day(10)):  # past its points: read
        read.append(report.report_id)
        await world.record(change(REPORT, 2, S.WAITING, S.IN_PROGRESS, day(0.6)))
        await world.reports.close(report.report_id, report.rev)
        await world.reports.reschedule(report.report_id, report.rev, None)
    assert read == [str(REPORT)]
    assert world.reports.docs[str(REPORT)]["scan"] is True
    assert world.reports.docs[str(REPORT)]["due_from"] is not None


async def test_recording_is_idempotent_and_order_free() -> None:
    events = [
        WAITING,
        change(REPORT, 2, S.WAITING, S.COORDINATION, day(2), unit=None),
        change(REPORT, 3, S.COORDINATION, S.WAITING, day(3), unit="sudin:sda:jaksel"),
    ]
    in_order, shuffled = World(day(4)), World(day(4))
    await in_order.record(*events)
    await shuffled.record(events[2], events[0], events[2], events[1], events[0])
    assert in_order.clocks.rows == shuffled.clocks.rows
    rows = sorted(in_order.clocks.rows.values(), key=lambda r: r.key)
    # The pool stay (assignment :2) is uncharged, so it has no clock in the index.
    assert [(r.key, r.unit_kind, r.outcome) for r in rows] == [
        (f"{REPORT}:1/response", "kelurahan", "on_time"),
        (f"{REPORT}:3/response", "sudin", "running"),
    ]


def api_app(world: World, penalty: tuple[PenaltyStep, ...] = DEFAULT_PENALTY) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.auth = JwtVerifier(AuthSettings(AUTH_JWT_SECRET=SECRET))
    source = LedgerSource(world.reports, world.clocks, POLICY, heads)
    app.include_router(create_api(world.reports, world.signals, source, penalty, world.clock))
    return app


def bearer(*roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_dev_token(SECRET, sub='t', roles=roles)}"}


async def test_case_api_shows_assignments_warnings_and_breaches() -> None:
    world = World(day(6.5))
    await world.record(WAITING)
    await world.scanner().scan()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api_app(world)), base_url="http://t"
    ) as client:
        leader = bearer("leader")
        body: dict[str, Any] = (await client.get(f"/v1/sla/cases/{REPORT}", headers=leader)).json()
        empty = (await client.get(f"/v1/sla/cases/{uuid.uuid4()}", headers=leader)).json()
        anonymous = await client.get(f"/v1/sla/cases/{REPORT}")
    (a,) = body["assignments"]
    assert a["unit_id"] == KEL and a["arrived_at"] == T0.isoformat()
    assert a["deadline"] == day(6).isoformat()
    assert [w["days"] for w in a["warnings"]] == [4, 5]
    assert a["state"] == "breached" and a["breached"] and not a["handled"]
    assert [w["warning_at_days"] for w in body["warnings"]] == [4, 5]
    assert [b["official_id"] for b in body["breaches"]] == ["official:B"]
    assert all(s["published"] for s in body["warnings"] + body["breaches"])
    assert empty["assignments"] == [] and empty["breaches"] == []
    assert anonymous.status_code == 401


async def test_ledger_and_breaches_in_json_and_csv_with_the_head_at_each_deadline() -> None:
    # Two reports at the same kelurahan: deadlines on the 22nd (Pak A) and the 23rd (Bu B).
    other = uuid.UUID(int=62)
    world = World(day(30))
    await world.record(
        change(other, 1, S.RECEIVED, S.WAITING, day(-1)),
        WAITING,
        change(REPORT, 2, S.WAITING, S.IN_PROGRESS, day(1)),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api_app(world)), base_url="http://t"
    ) as client:
        leader = bearer("leader")
        ledger = (await client.get("/v1/sla/ledger?month=2026-11", headers=leader)).json()
        csv_body = await client.get(
            "/v1/sla/ledger?month=2026-11", headers={**leader, "Accept": "text/csv"}
        )
        breaches = (
            await client.get(f"/v1/sla/breaches?month=2026-11&unit_id={KEL}", headers=leader)
        ).json()
        none = (await client.get("/v1/sla/breaches?month=2026-12", headers=leader)).json()
        bad = await client.get("/v1/sla/ledger?month=2026-13", headers=leader)
        officer = await client.get("/v1/sla/ledger", headers=bearer("unit_officer"))
    assert [
        (o["official_id"], o["breach_count"], o["cut_percent"]) for o in ledger["officials"]
    ] == [
        ("official:A", 1, 10),
        ("official:B", 1, 10),
    ]
    assert ledger["policy"] == [{"min_breaches": 1, "cut_percent": 10}]
    assert [b["report_id"] for b in breaches["breaches"]] == [str(other), str(REPORT)]
    assert breaches["breaches"][0]["deadline"] == "2026-11-22T10:00:00+07:00"
    assert none["breaches"] == []
    assert csv_body.headers["content-type"].startswith("text/csv")
    assert csv_body.text.splitlines() == [
        "month,official_id,official_name,breaches_in_month,cut_percent,deadline,unit_id,kind,"
        "report_id,tracking_code",
        f"2026-11,official:A,Pak A,1,10,2026-11-22T10:00:00+07:00,{KEL},response,{other},"
        "JKT-00000062",
        f"2026-11,official:B,Bu B,1,10,2026-11-23T10:00:00+07:00,{KEL},response,{REPORT},"
        "JKT-00000061",
    ]
    assert bad.status_code == 422 and "YYYY-MM" in bad.json()["detail"]
    assert officer.status_code == 403


async def test_gauges_count_the_backlog_by_age_and_the_on_time_ratio() -> None:
    world = World(day(6.5))
    late, on_time = uuid.UUID(int=63), uuid.UUID(int=64)
    await world.record(
        WAITING,  # still waiting at 6.5 days: backlog 6d+, and late
        change(late, 1, S.RECEIVED, S.WAITING, day(-1)),
        change(late, 2, S.WAITING, S.SCHEDULED, day(5.5)),  # handled after its deadline
        change(on_time, 1, S.RECEIVED, S.WAITING, day(0), unit="sudin:sda:3171"),
        change(on_time, 2, S.WAITING, S.SCHEDULED, day(1), unit="sudin:sda:3171"),
        change(uuid.UUID(int=65), 1, S.RECEIVED, S.WAITING, day(4.2)),  # 2.3 days old
    )
    metrics = ServiceMetrics("sla-gauges-test")
    gauges = SlaGauges(world.clocks, metrics, world.clock)
    await gauges.recount()

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(f"aduan_sla_gauges_test_{name}", labels)

    assert value("open_assignments", unit_kind="kelurahan", age="6d+") == 1
    assert value("open_assignments", unit_kind="kelurahan", age="1-3d") == 1
    assert value("open_assignments", unit_kind="sudin", age="6d+") == 0
    assert value("on_time_ratio", unit_kind="kelurahan") == 0  # one running late, one late
    assert value("on_time_ratio", unit_kind="sudin") == 1


async def test_the_scan_says_when_the_next_point_falls() -> None:
    world = World(day(3))
    await world.record(WAITING)
    first = await world.scanner().scan()
    assert first.next_due == day(4) and first.next_in_s == 86400.0
    world.clock.at = day(5.5)
    assert (await world.scanner().scan()).next_due == day(6)
    await world.record(change(REPORT, 2, S.WAITING, S.SCHEDULED, day(5.6)))
    world.clock.at = day(5.7)
    assert (await world.scanner().scan()).next_due is None  # handled: nothing left to wake for
