"""The walking skeleton under load: intake 202 latency, 202 → waiting latency, CPU and memory."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field

import httpx
from benchmarks.common import (
    CpuMeter,
    Progress,
    heading,
    memory_mb,
    note,
    percentile,
    representative_points,
    status,
    table,
)
from benchmarks.load import Intake, Sent, Watcher
from benchmarks.metrics import Snapshot, deltas, scrape
from benchmarks.stack import Stack, running_stack

DRAIN_TIMEOUT_S = 90.0
BENCH = "bench (load + watcher)"


@dataclass
class Phase:
    name: str
    sent: list[Sent] = field(default_factory=list)
    e2e: list[float] = field(default_factory=list)
    drained_s: float | None = None  # last 202 → every case found
    cpu: dict[str, float] = field(default_factory=dict)
    memory: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    metrics: dict[str, tuple[float, int]] = field(default_factory=dict)
    not_waiting: int = 0
    wall_s: float = 0.0  # first request → every case found

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
    phases: list[Phase] = field(default_factory=list)
    idle_pct: dict[str, float] = field(default_factory=dict)

    async def idle(self, seconds: float) -> None:
        """CPU % of every process while nothing is sent (consumers polling, timers, GC)."""
        status(f"e2e: {seconds:.0f}s idle (baseline CPU)")
        self.cpu.mark()
        await asyncio.sleep(seconds)
        self.idle_pct = {name: used / seconds * 100 for name, used in self.cpu.mark().items()}

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
        phase.wall_s = time.perf_counter() - began
        phase.cpu = self.cpu.mark()
        phase.memory = {name: memory_mb(pid) for name, pid in self.pids.items()}
        phase.metrics = deltas(before, await self._metrics())
        phase.e2e = self.watcher.e2e(phase.sent)
        phase.not_waiting = sum(self.watcher.states.get(c, "waiting") != "waiting" for c in codes)
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
                ms(p.e2e, 50),
                ms(p.e2e, 95),
                ms(p.e2e, 99),
                ms(p.e2e, 100),
                "timed out" if p.drained_s is None else p.drained_s,
            ]
        )
    table(
        "(b) end-to-end: 202 → case found at disposition (state confirmed by GET /v1/track), ms; "
        "sequential and concurrency 8 send back to back, so they include any queue they build",
        [
            "phase",
            "202s",
            "found",
            "waiting",
            "p50",
            "p95",
            "p99",
            "max",
            "drained s after last 202",
        ],
        rows,
    )


def print_resources(phases: list[Phase], pids: dict[str, int], idle: dict[str, float]) -> None:
    rows = []
    for name in pids:
        cells: list[float | str | None] = [name, idle.get(name)]
        for p in phases:
            cells.append(p.cpu.get(name))
        last = phases[-1]
        cells.append(per_report(last, name))
        rss, peak = last.memory.get(name, (None, None))
        rows.append([*cells, rss, peak])
    totals = [sum(p.cpu.values()) for p in phases]
    rows.append(["total", sum(idle.values()), *totals, per_report(phases[-1], None), None, None])
    rows.append(["wall s (send + drain)", None, *[p.wall_s for p in phases], None, None, None])
    table(
        "(c) CPU seconds per phase (incl. draining) and memory; 2 cores = 2 CPU s per wall s",
        [
            "process",
            "idle CPU %",
            *[p.name for p in phases],
            f"CPU ms/report ({phases[-1].name})",
            "RSS MB",
            "peak RSS MB",
        ],
        rows,
    )
    last = phases[-1]
    if last.accepted:
        per = (sum(last.cpu.values()) - last.cpu.get(BENCH, 0.0)) / len(last.accepted)
        cores = os.cpu_count() or 1
        note(
            f"in '{last.name}' the platform used {per * 1000:.1f} CPU ms per report (load "
            f"generator excluded): {cores} cores would be saturated at about {cores / per:.0f} "
            "reports/s, if nothing else ran on them"
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


async def measure(stack: Stack, quick: bool) -> None:
    points, _ = representative_points()
    pids = {**stack.pids(), BENCH: os.getpid()}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        watcher = Watcher(
            stack.mongo.url,
            stack.databases["disposition"],
            client,
            stack.url("disposition", "/v1/track"),
        )
        watching = asyncio.create_task(watcher.run())
        bench = Bench(
            stack,
            Intake(client, stack.url("intake"), stack.api_key, points, watcher.watch),
            watcher,
            CpuMeter(pids),
            pids,
        )
        try:
            warm = await bench.phase("warm-up", "sequential", n=10, record=False)
            if warm.drained_s is None:
                note(
                    f"warm-up: {len(warm.e2e)}/{len(warm.accepted)} cases found within "
                    f"{DRAIN_TIMEOUT_S:.0f}s (failed: {[s.error for s in warm.sent if s.error]}); "
                    "e2e figures would be meaningless — stopping here"
                )
                return
            await bench.idle(3.0 if quick else 5.0)
            seconds = 5.0 if quick else 20.0
            await bench.phase("sequential", "sequential", n=50 if quick else 300)
            await bench.phase("concurrency 8", "concurrent", n=100 if quick else 800)
            for rate in (10, 50):
                await bench.phase(
                    f"{rate}/s for {seconds:.0f}s", "open", rate=rate, seconds=seconds
                )
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
    note(
        f"db: {stack.mongo.server_kind}; 267 representative points in turn; watcher: one query "
        f"for all pending codes every {watcher.tick_s * 1000:.0f} ms ({watcher.queries:,} "
        "queries), so e2e figures carry up to that much detection delay"
    )
    print_latencies(bench.phases)
    print_resources(bench.phases, pids, bench.idle_pct)
    print_metrics(bench.phases)


def main(quick: bool) -> None:
    heading("3. e2e: intake → Kafka → geo-router → Kafka → disposition, real servers")
    with running_stack() as stack:
        started = {
            n: p.started_in_s
            for n, p in {"kafka": stack.kafka, "db": stack.mongo, **stack.services}.items()
        }
        note("started in (s): " + ", ".join(f"{n} {s}" for n, s in started.items()))
        asyncio.run(measure(stack, quick))
    status("e2e: everything stopped")
