"""The walking skeleton under load: intake 202 latency, 202 → waiting latency, CPU and memory."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from aduan_devstack.services import SERVICES
from benchmarks import profile
from benchmarks.backlog import OPS, Backlog, db_ops, db_top
from benchmarks.common import (
    CpuMeter,
    Progress,
    heading,
    memory_mb,
    note,
    percentile,
    status,
    table,
)
from benchmarks.load import Intake, Sent, Watcher, jaki_bodies
from benchmarks.metrics import Snapshot, deltas, scrape
from benchmarks.outside import outside_world
from benchmarks.profile import Profile, print_profile
from benchmarks.rawhttp import RawHttp
from benchmarks.stack import PIPELINE, Stack, running_stack
from pymongo import AsyncMongoClient

DRAIN_TIMEOUT_S = 90.0
BENCH = "bench (load + watcher)"
PROVIDERS = "providers (stand-ins)"
#: Distinct simulated report bodies, sent in turn (each with its own external id).
BODIES = 5_000


@dataclass
class Phase:
    name: str
    sent: list[Sent] = field(default_factory=list)
    e2e: list[float] = field(default_factory=list)
    drained_s: float | None = None  # last 202 → every case found
    cpu: dict[str, float] = field(default_factory=dict)
    memory: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    metrics: dict[str, tuple[float, int]] = field(default_factory=dict)
    not_waiting: int = 0  # cases found in another state than waiting
    tracked: tuple[int, int] = (0, 0)  # cases also read through GET /v1/track: waiting, read
    wall_s: float = 0.0  # first request → every case found and every consumer caught up
    settled_s: float | None = None  # last 202 → every consumer group caught up
    db_ops: dict[str, int] = field(default_factory=dict)  # database operations in the phase
    db_top: dict[str, tuple[int, int]] = field(default_factory=dict)  # per collection: ops, µs

    @property
    def accepted(self) -> list[Sent]:
        return [s for s in self.sent if s.accepted is not None]

    def rate(self) -> float | None:
        ok = self.accepted
        if len(ok) < 2:
            return None
        return len(ok) / (max(s.accepted or 0 for s in ok) - min(s.due for s in ok))


@dataclass
class Bench:
    stack: Stack
    intake: Intake
    watcher: Watcher
    cpu: CpuMeter
    pids: dict[str, int]
    backlog: Backlog
    db: AsyncMongoClient[dict[str, Any]]
    phases: list[Phase] = field(default_factory=list)
    idle_pct: dict[str, float] = field(default_factory=dict)

    async def idle(self, seconds: float) -> None:
        """CPU % of every process while nothing is sent (consumers polling, timers, GC)."""
        status(f"e2e: {seconds:.0f}s idle (baseline CPU)")
        self.cpu.mark()
        await asyncio.sleep(seconds)
        self.idle_pct = {name: used / seconds * 100 for name, used in self.cpu.mark().items()}

    async def open_loop_warm_up(self, rate: float, seconds: float) -> None:
        """A short open-loop run, not recorded: connections opened, code paths and the JVM warm."""
        await self.phase("warm-up (open loop)", "open", rate=rate, seconds=seconds, record=False)

    async def _metrics(self) -> Snapshot:
        urls = {name: proc.url for name, proc in self.stack.services.items()}
        return await asyncio.to_thread(scrape, urls)

    async def phase(
        self,
        name: str,
        kind: str,
        n: int = 0,
        rate: float = 0,
        seconds: float = 0,
        record: bool = True,
    ) -> Phase:
        """Send one load shape, wait until every case is found, note CPU/memory/metrics."""
        phase = Phase(name)
        before = await self._metrics()
        ops_before, top_before = await db_ops(self.db), await db_top(self.db)
        self.cpu.mark()
        began = time.perf_counter()
        total = int(rate * seconds) if kind == "open" else n
        progress = Progress(f"e2e {name}", total)
        if kind == "sequential":
            phase.sent = await self.intake.sequential(n, progress)
        elif kind == "concurrent":
            phase.sent = await self.intake.concurrent(n, 8, progress)
        else:
            phase.sent = await self.intake.open_loop(rate, seconds, progress)
        progress.close()
        codes = [s.code for s in phase.accepted if s.code]
        last = max((s.accepted or 0 for s in phase.accepted), default=time.perf_counter())
        drain = Progress(f"e2e {name}: waiting for the cases", len(codes))
        if await self.watcher.drain(codes, DRAIN_TIMEOUT_S, drain):
            phase.drained_s = max(self.watcher.seen[c] for c in codes) - last if codes else 0.0
        drain.close()
        status(f"e2e {name}: waiting for every consumer group to catch up")
        if await self.backlog.settle(DRAIN_TIMEOUT_S) is not None:
            phase.settled_s = time.perf_counter() - last
        ops_after = await db_ops(self.db)
        phase.db_ops = {op: ops_after[op] - ops_before.get(op, 0) for op in ops_after}
        top_after = await db_top(self.db)
        phase.db_top = {
            name: (n - top_before.get(name, (0, 0))[0], us - top_before.get(name, (0, 0))[1])
            for name, (n, us) in top_after.items()
        }
        phase.wall_s = time.perf_counter() - began
        phase.cpu = self.cpu.mark()
        phase.memory = {name: memory_mb(pid) for name, pid in self.pids.items()}
        phase.metrics = deltas(before, await self._metrics())
        phase.e2e = self.watcher.e2e(phase.sent)
        phase.not_waiting = sum(self.watcher.states.get(c, "waiting") != "waiting" for c in codes)
        tracked = [self.watcher.tracked[c] for c in codes if c in self.watcher.tracked]
        phase.tracked = (sum(state == "waiting" for state in tracked), len(tracked))
        if record:
            self.phases.append(phase)
        return phase


def ms(values: list[float], pct: float) -> float | None:
    value = percentile(values, pct)
    return None if value is None else value * 1000


def print_latencies(phases: list[Phase]) -> None:
    rows = []
    for p in phases:
        lat = [s.latency for s in p.accepted if s.latency is not None]
        rows.append(
            [
                p.name,
                len(p.sent),
                len(p.sent) - len(p.accepted),
                p.rate(),
                ms(lat, 50),
                ms(lat, 95),
                ms(lat, 99),
                ms(lat, 100),
            ]
        )
    table(
        "(a) intake: POST /v1/reports → 202, ms (open-loop phases count from the due instant)",
        ["phase", "sent", "failed", "202/s", "p50", "p95", "p99", "max"],
        rows,
    )
    rows = []
    for p in phases:
        rows.append(
            [
                p.name,
                len(p.accepted),
                len(p.e2e),
                len(p.e2e) - p.not_waiting,
                "{} / {}".format(*p.tracked),
                ms(p.e2e, 50),
                ms(p.e2e, 95),
                ms(p.e2e, 99),
                ms(p.e2e, 100),
                "timed out" if p.drained_s is None else p.drained_s,
                "timed out" if p.settled_s is None else p.settled_s,
            ]
        )
    table(
        "(b) end-to-end: 202 → case found at disposition in state waiting, ms (a sample also read "
        "through GET /v1/track: waiting / read); "
        "sequential and concurrency 8 send back to back, so they include any queue they build",
        [
            "phase",
            "202s",
            "found",
            "waiting",
            "GET /v1/track",
            "p50",
            "p95",
            "p99",
            "max",
            "drained s after last 202",
            "all consumers caught up s",
        ],
        rows,
    )


def print_resources(phases: list[Phase], pids: dict[str, int], idle: dict[str, float]) -> None:
    """CPU per process and phase; CPU ms per report at 100/s (else the last phase); memory."""
    at = next((p for p in phases if p.name == "100/s"), phases[-1])
    rows = []
    for name in pids:
        cells: list[float | str | None] = [name, idle.get(name)]
        for p in phases:
            cells.append(p.cpu.get(name))
        cells.append(per_report(at, name))
        rss, peak = phases[-1].memory.get(name, (None, None))
        rows.append([*cells, rss, peak])
    totals = [sum(p.cpu.values()) for p in phases]
    rows.append(["total", sum(idle.values()), *totals, per_report(at, None), None, None])
    rows.append(["wall s (send + drain)", None, *[p.wall_s for p in phases], None, None, None])
    table(
        "(c) CPU seconds per phase (incl. draining) and memory after the last; 2 cores = 2 CPU s "
        "per wall s",
        [
            "process",
            "idle CPU %",
            *[p.name for p in phases],
            f"CPU ms/report ({at.name})",
            "RSS MB",
            "peak RSS MB",
        ],
        rows,
    )
    if at.accepted:
        outside = at.cpu.get(BENCH, 0.0) + at.cpu.get(PROVIDERS, 0.0)
        per = (sum(at.cpu.values()) - outside) / len(at.accepted)
        cores = os.cpu_count() or 1
        note(
            f"in '{at.name}' the platform used {per * 1000:.1f} CPU ms per report (load "
            f"generator and providers excluded): {cores} cores would be saturated at about "
            f"{cores / per:.0f} reports/s, if nothing else ran on them"
        )


def print_database(phases: list[Phase], db_name: str) -> None:
    """The database's own figures: operations it served per phase, per second and per report."""
    rows = []
    for p in phases:
        total = sum(p.db_ops.values())
        cpu = p.cpu.get(db_name)
        rows.append(
            [
                p.name,
                *[p.db_ops.get(op, 0) for op in OPS],
                total,
                total / p.wall_s if p.wall_s else None,
                total / len(p.accepted) if p.accepted else None,
                cpu * 1e6 / total if cpu and total else None,
            ]
        )
    table(
        f"(d) the database ({db_name}): operations served per phase (serverStatus opcounters; "
        "the watcher's queries included)",
        ["phase", *OPS, "total", "ops/s", "ops/report", "CPU µs/op"],
        rows,
    )


def print_database_clients(phases: list[Phase], databases: dict[str, str]) -> None:
    """Which service the database works for: its operations and their server time per report
    (`top`), by the service's database: disposition's includes the watcher's queries, intake's
    the notifier's reads of the reporter vault."""
    rows = []
    for service, database in databases.items():
        cells: list[float | str | None] = [service]
        for p in phases:
            mine = [v for k, v in p.db_top.items() if k.split(".", 1)[0] == database]
            n, micros = sum(c for c, _ in mine), sum(us for _, us in mine)
            per = len(p.accepted) or 1
            cells.append(f"{n / per:.1f} / {micros / per / 1000:.2f}")
        rows.append(cells)
    table(
        "(e) the database's clients: operations / server ms per report, by service (`top`)",
        ["service", *[p.name for p in phases]],
        rows,
    )


def print_collections(phases: list[Phase], shown: int = 12) -> None:
    """Where the database's time goes at 100/s (else the last phase): its busiest collections,
    by server time per report (`top`)."""
    at = next((p for p in phases if p.name == "100/s"), phases[-1])
    per = len(at.accepted) or 1
    spent = sum(us for _, us in at.db_top.values()) or 1
    busiest = sorted(at.db_top.items(), key=lambda item: -item[1][1])[:shown]
    rows: list[list[float | str | None]] = [
        [name, n / per, micros / per / 1000, f"{micros / spent * 100:.0f}%"]
        for name, (n, micros) in busiest
        if n
    ]
    table(
        f"(f) the database's busiest collections in '{at.name}': commands and server ms per "
        "report, share of the server time (`top`; a bulk write is one command)",
        ["collection", "commands/report", "server ms/report", "share"],
        rows,
    )


def per_report(phase: Phase, name: str | None) -> float | None:
    n = len(phase.accepted)
    if not n:
        return None
    used = sum(phase.cpu.values()) if name is None else phase.cpu.get(name)
    return None if used is None else used / n * 1000


def print_metrics(phases: list[Phase]) -> None:
    keys = list(dict.fromkeys(k for p in phases for k in p.metrics))
    rows = []
    for key in keys:
        cells = []
        for p in phases:
            mean, n = p.metrics.get(key, (None, 0))
            cells.append("-" if mean is None else f"{mean:.1f} ({n})")
        rows.append([key, *cells])
    table(
        "where time goes: services' /metrics histograms over each phase, mean ms (count)",
        ["histogram{labels}", *[p.name for p in phases]],
        rows,
    )


#: A rate is sustained when every report got its 202, every case was found, and both the 202
#: and the end-to-end p99 stayed under this (a growing queue shows in the p99 within seconds).
SUSTAINED_P99_S = 2.0
PEAK_DAY = 800  # reports: Jakarta 2024's busiest day, replayed in one minute


def sustained(phase: Phase) -> bool:
    lat = [s.latency for s in phase.accepted if s.latency is not None]
    return (
        len(phase.accepted) == len(phase.sent)
        and phase.drained_s is not None
        and (percentile(lat, 99) or 0) < SUSTAINED_P99_S
        and (percentile(phase.e2e, 99) or 0) < SUSTAINED_P99_S
    )


async def measure(stack: Stack, quick: bool, label: str, full: bool, providers: int) -> None:
    """`full`: every phase (10/s, 100/s, the peak day, the ramp, the profile); else the ramp.
    `providers`: the pid of the notifier's stand-in providers (outside.py)."""
    bodies = jaki_bodies(BODIES)
    pids = {**stack.pids(), BENCH: os.getpid(), PROVIDERS: providers}
    raw = RawHttp(stack.url("intake"), connections=128)
    track = RawHttp(stack.url("disposition"), connections=32)
    async with httpx.AsyncClient(timeout=30) as client:
        watcher = Watcher(stack.mongo.url, stack.databases["disposition"], track)
        watching = asyncio.create_task(watcher.run())
        intake = Intake(client, stack.url("intake"), stack.api_key, bodies, watcher.watch, raw)
        backlog = Backlog(stack.kafka.bootstrap, [f"aduan-{name}" for name in stack.services])
        await backlog.start()
        db: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            stack.mongo.url, directConnection=True
        )
        bench = Bench(stack, intake, watcher, CpuMeter(pids), pids, backlog, db)
        seconds = 5.0 if quick else 20.0
        try:
            warm = await bench.phase("warm-up", "sequential", n=20, record=False)
            if warm.drained_s is None:
                note(
                    f"warm-up: {len(warm.e2e)}/{len(warm.accepted)} cases found within "
                    f"{DRAIN_TIMEOUT_S:.0f}s (failed: {[s.error for s in warm.sent if s.error]}); "
                    "e2e figures would be meaningless — stopping here"
                )
                return
            await bench.open_loop_warm_up(100, 5.0)
            if full:
                await bench.idle(3.0 if quick else 5.0)
                await bench.phase("sequential", "sequential", n=30 if quick else 100)
                for rate in (10, 100):
                    await bench.phase(f"{rate}/s", "open", rate=rate, seconds=seconds)
                peak = PEAK_DAY // 4 if quick else PEAK_DAY
                span = 15.0 if quick else 60.0
                await bench.phase(
                    f"peak day: {peak} in {span:.0f}s", "open", rate=peak / span, seconds=span
                )
            best = await ramp(bench, quick)
            slowest = await profile_slowest(bench, quick) if full else None
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
            await backlog.stop()
            await db.close()
            await raw.aclose()
            await track.aclose()
    heading(f"3. e2e — {label}")
    note(
        f"db: {stack.mongo.server_kind}; {len(bodies):,} simulated JAKI reports in turn (the "
        "traffic simulator's categories in Jakarta's proportions, points inside kelurahan, no "
        "photo), sent with a lean keep-alive client; watcher: one query for all pending codes "
        f"every {watcher.tick_s * 1000:.0f} ms ({watcher.queries:,} queries), so e2e figures "
        "carry up to that much detection delay; every "
        f"{watcher.confirm_every}th case found is also read through the citizen's GET /v1/track"
    )
    print_latencies(bench.phases)
    print_resources(bench.phases, pids, bench.idle_pct)
    print_database(bench.phases, f"db ({stack.mongo.server_kind})")
    print_database_clients(bench.phases, stack.databases)
    print_collections(bench.phases)
    print_metrics(bench.phases)
    note(
        f"\nmaximum sustained rate ({label}): "
        + (f"{best:g} reports/s" if best else "none of the ramp's rates")
        + f" (every 202, every case found, 202 and e2e p99 < {SUSTAINED_P99_S:g} s)"
    )
    if full:
        hundred = next(p for p in bench.phases if p.name == "100/s")
        p99 = percentile(hundred.e2e, 99)
        note(
            f"goal: p99 < 2 s at 100/s — e2e p99 {p99 * 1000 if p99 else float('nan'):,.0f} ms "
            f"({'met' if sustained(hundred) else 'NOT met'}); 500 reports/s sustained — "
            f"{'met' if best and best >= 500 else 'NOT met'} (max sustained {best or 0:g}/s)"
        )
    if slowest is not None:
        print_profile(*slowest)


async def ramp(bench: Bench, quick: bool) -> float | None:
    """Offer rising rates until one is not sustained; return the highest that was."""
    rates = (50, 100, 150) if quick else (50, 75, 100, 125, 150, 175, 200, 250, 300, 400, 500)
    seconds = 5.0 if quick else 15.0
    best = None
    for rate in rates:
        phase = await bench.phase(f"ramp {rate}/s", "open", rate=rate, seconds=seconds)
        if not sustained(phase):
            break
        best = rate
    return best


async def profile_slowest(bench: Bench, quick: bool) -> tuple[str, Profile, float] | None:
    """Sample the service that used the most CPU per report at 100/s, under 100/s again."""
    hundred = next(p for p in bench.phases if p.name == "100/s")
    services = {n: hundred.cpu.get(n, 0.0) for n in bench.stack.services}
    if not services:
        return None
    name = max(services, key=lambda n: services[n])
    seconds = 5.0 if quick else 15.0
    out = bench.stack.run_dir / f"profile-{name}.txt"
    spy = profile.start(bench.pids[name], seconds, out)
    await bench.phase(f"100/s profiled ({name})", "open", rate=100, seconds=seconds, record=False)
    _, err = await asyncio.to_thread(spy.communicate)
    if spy.returncode != 0 or not out.exists():
        note(f"profile of {name}: py-spy failed ({err.decode(errors='replace').strip()[:300]})")
        return None
    return name, profile.read(out), seconds


def main(quick: bool) -> None:
    heading("3. e2e: intake 202 → case visible as waiting, real servers, every service a process")
    note(
        "(first) the whole platform, all six services consuming the same events; (then) the "
        "report's path alone (intake → geo-router → disposition), for its own ceiling"
    )
    for label, services, full in (
        ("all six services", tuple(s.name for s in SERVICES), True),
        ("intake → geo-router → disposition alone", PIPELINE, False),
    ):
        with outside_world() as providers, running_stack(services, providers.env) as stack:
            started = {
                n: p.started_in_s
                for n, p in {"kafka": stack.kafka, "db": stack.mongo, **stack.services}.items()
            }
            note(f"{label}: started in (s): " + ", ".join(f"{n} {s}" for n, s in started.items()))
            asyncio.run(measure(stack, quick, label, full, providers.pid))
        status("e2e: everything stopped")
