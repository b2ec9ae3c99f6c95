"""Intake alone on real Kafka and the real DB: POST /v1/reports latency, throughput, CPU, RSS."""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from typing import Any

import httpx
from benchmarks.common import CpuMeter, Progress, heading, memory_mb, note, status, table
from benchmarks.e2e import Phase, ms
from benchmarks.load import Intake, Sent
from benchmarks.rawhttp import RawHttp
from benchmarks.stack import Stack, running_stack
from PIL import Image

LOCATION = {"lat": -6.26418, "lon": 106.8193}
PHOTO_BYTES = 2_000_000  # the photo is generated once, at the JPEG quality closest to this
GOAL_RATE, GOAL_P99_MS = 200, 50.0
BENCH = "bench (load generator)"


class JsonIntake(Intake):
    """load.Intake with the fixed body of the benchmark (one place, a unique external_id)."""

    def __init__(
        self, client: httpx.AsyncClient, url: str, api_key: str, raw: RawHttp | None = None
    ) -> None:
        body = {
            "channel": "jaki",
            "category": "Jalan",
            "description": "Jalan berlubang di depan sekolah",
            "location": LOCATION,
        }
        super().__init__(client, url, api_key, [body], _ignore, raw)


class PhotoIntake(JsonIntake):
    """The same fields as multipart/form-data (location as JSON text) plus one JPEG `photos`."""

    def __init__(self, client: httpx.AsyncClient, url: str, api_key: str, photo: bytes) -> None:
        super().__init__(client, url, api_key)
        self.photo = photo

    async def send(self, due: float | None = None) -> Sent:
        sent = Sent(due if due is not None else time.perf_counter())
        fields = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in self.payload().items()}
        files = {"photos": ("jalan.jpg", self.photo, "image/jpeg")}
        try:
            r = await self.client.post(self.url, data=fields, files=files, headers=self.headers)
            if r.status_code == 202:
                sent.accepted, sent.code = time.perf_counter(), r.json()["tracking_code"]
            else:
                sent.error = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            sent.error = type(exc).__name__
        return sent


def _ignore(_sent: Sent) -> None:
    """No watcher here: only intake runs, so there is no case to wait for."""


def make_photo() -> bytes:
    """A 2000×1500 noisy JPEG of about PHOTO_BYTES (noise keeps JPEG from compressing it away)."""
    size = (2000, 1500)
    noise = Image.merge("RGB", [Image.effect_noise(size, 48 + 8 * i) for i in range(3)])
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.blend(gradient, noise, 0.8)
    best = b""
    for quality in range(70, 98, 3):
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=quality)
        if not best or abs(buf.tell() - PHOTO_BYTES) < abs(len(best) - PHOTO_BYTES):
            best = buf.getvalue()
    return best


async def closed_loop(
    intake: Intake, workers: int, seconds: float, progress: Progress
) -> list[Sent]:
    """`workers` clients for `seconds`, each sending its next report on the previous answer."""
    deadline = time.perf_counter() + seconds
    out: list[Sent] = []

    async def worker() -> None:
        while time.perf_counter() < deadline:
            out.append(await intake.send())
            progress.update()

    await asyncio.gather(*(worker() for _ in range(workers)))
    return out


class Bench:
    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.cpu = pids, CpuMeter(pids)
        self.phases: list[Phase] = []

    async def phase(
        self, name: str, intake: Intake, rate: float = 0, workers: int = 0, seconds: float = 0
    ) -> Phase:
        """Open loop at `rate`/s, or closed loop with `workers` clients, for `seconds`."""
        phase = Phase(name)
        self.cpu.mark()
        began = time.perf_counter()
        progress = Progress(f"intake {name}", int(rate * seconds) if rate else None)
        if rate:
            phase.sent = await intake.open_loop(rate, seconds, progress)
        else:
            phase.sent = await closed_loop(intake, workers, seconds, progress)
        progress.close()
        phase.wall_s = time.perf_counter() - began
        phase.cpu = self.cpu.mark()
        phase.memory = {n: memory_mb(pid) for n, pid in self.pids.items()}
        self.phases.append(phase)
        return phase


def latency_row(p: Phase) -> list[Any]:
    lat = [s.latency for s in p.accepted if s.latency is not None]
    failed = len(p.sent) - len(p.accepted)
    return [p.name, len(p.sent), failed, p.rate(), *(ms(lat, q) for q in (50, 95, 99, 100))]


def print_results(phases: list[Phase], pids: dict[str, int]) -> None:
    table(
        "(a) POST /v1/reports → 202, ms (open loop: from the due instant, so a stall is not "
        "hidden; closed loop: from the send)",
        ["phase", "sent", "failed", "202/s", "p50", "p95", "p99", "max"],
        [latency_row(p) for p in phases],
    )
    failures = {e for p in phases for s in p.sent if (e := s.error)}
    if failures:
        note(f"failures: {', '.join(sorted(failures))}")
    rows: list[list[Any]] = []
    for name in pids:
        rows.append([f"{name} CPU s", *(p.cpu.get(name) for p in phases)])
    for name in pids:
        rows.append([f"{name} RSS MB", *(p.memory.get(name, (None, None))[0] for p in phases)])
    for name in pids:
        rows.append([f"{name} peak RSS MB", *(p.memory.get(name, (None, None))[1] for p in phases)])
    per = [
        (p.cpu.get("intake", 0.0) / len(p.accepted) * 1000) if p.accepted else None for p in phases
    ]
    rows.append(["intake CPU ms/report", *per])
    rows.append(["wall s", *(p.wall_s for p in phases)])
    table(
        f"(b) CPU seconds per phase and memory after it ({os.cpu_count()} cores: "
        f"{os.cpu_count()} CPU s per wall s at most)",
        ["process", *(p.name for p in phases)],
        rows,
    )


def print_goal(phases: list[Phase], goal_phase: str) -> None:
    phase = next(p for p in phases if p.name == goal_phase)
    lat = [s.latency for s in phase.accepted if s.latency is not None]
    p99 = ms(lat, 99)
    failed = len(phase.sent) - len(phase.accepted)
    met = p99 is not None and p99 < GOAL_P99_MS and failed == 0
    shown = "-" if p99 is None else f"{p99:.1f} ms"
    note(
        f"\ngoal: p99 under {GOAL_P99_MS:.0f} ms at {GOAL_RATE} reports/s without photos — "
        f"measured p99 {shown} ({failed} failed): {'met' if met else 'NOT met'}"
    )


async def measure(stack: Stack, quick: bool) -> None:
    status("intake: generating the photo")
    photo = await asyncio.to_thread(make_photo)
    pids = {**stack.pids(), BENCH: os.getpid()}
    bench = Bench(pids)
    rate_s = 5.0 if quick else 15.0
    closed_s = 5.0 if quick else 10.0
    photo_s = 5.0 if quick else 10.0
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
    url = stack.url("intake")
    raw = RawHttp(url, connections=64)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        plain = JsonIntake(client, url, stack.api_key, raw)
        photos = PhotoIntake(client, url, stack.api_key, photo)
        warm = [await plain.send() for _ in range(20)] + [await photos.send() for _ in range(3)]
        if any(s.error for s in warm):
            note(f"warm-up failed: {sorted({s.error for s in warm if s.error})} — stopping here")
            return
        for rate in (50, GOAL_RATE):
            await bench.phase(f"{rate}/s", plain, rate=rate, seconds=rate_s)
        await bench.phase("max (16 conc.)", plain, workers=16, seconds=closed_s)
        await bench.phase("photo 5/s", photos, rate=5, seconds=photo_s)
        await bench.phase("photo max (4 conc.)", photos, workers=4, seconds=closed_s)
    await raw.aclose()
    note(
        f"JAKI channel, JSON body of {len(json.dumps(plain.payload()))} bytes; photo: one "
        f"2000×1500 JPEG of {len(photo) / 1e6:.2f} MB as multipart/form-data; the load "
        "generator runs in this process (its CPU is in table b) on the same machine, JSON "
        "reports over a lean keep-alive HTTP/1.1 client (64 connections), photos with httpx; "
        f"open loop {rate_s:.0f}s per rate without photos, {photo_s:.0f}s with; closed loop "
        f"{closed_s:.0f}s"
    )
    print_results(bench.phases, pids)
    print_goal(bench.phases, f"{GOAL_RATE}/s")


def main(quick: bool) -> None:
    heading("4. intake alone: POST /v1/reports on real Kafka and the real database")
    with running_stack(services=("intake",)) as stack:
        started = {n: p.started_in_s for n, p in {"kafka": stack.kafka, **stack.services}.items()}
        started["db"] = stack.mongo.started_in_s
        note("started in (s): " + ", ".join(f"{n} {s}" for n, s in started.items()))
        asyncio.run(measure(stack, quick))
    status("intake: everything stopped")
