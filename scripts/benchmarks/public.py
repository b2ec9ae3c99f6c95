"""Analytics' public API under load: latency and throughput with the cache on and off, side by side.

Analytics runs alone on real Kafka and the real database. The benchmark first publishes a city's
worth of report events (received, routed, status changes, some ratings and breaches) and times
how fast the read models absorb them; then a closed loop of clients asks the public endpoints a
mix of questions (the page's first load and its filters), once against the service as configured
(answers cached for ANALYTICS_CACHE_TTL_S = 10 s) and once against a second process on the same
database with the cache off, so the two are measured in one run.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from aduan_shared.events import (
    Actor,
    AreaRef,
    Event,
    Location,
    ReportRated,
    ReportReceived,
    ReportRouted,
    ReportState,
    StatusChanged,
)
from aiokafka import AIOKafkaProducer
from benchmarks.common import (
    CpuMeter,
    Progress,
    heading,
    memory_mb,
    note,
    percentile,
    ratio,
    status,
    table,
)
from benchmarks.rawhttp import RawHttp
from benchmarks.stack import Stack, running_stack
from prometheus_client.parser import text_string_to_metric_families

KOTA = [
    ("31.71", "Jakarta Pusat", "31.71.01", "Gambir", "31.71.01.1001", "Gambir"),
    ("31.72", "Jakarta Utara", "31.72.01", "Penjaringan", "31.72.01.1001", "Penjaringan"),
    ("31.73", "Jakarta Barat", "31.73.01", "Cengkareng", "31.73.01.1001", "Cengkareng Barat"),
    ("31.74", "Jakarta Selatan", "31.74.03", "Mampang Prapatan", "31.74.03.1002", "Bangka"),
    ("31.75", "Jakarta Timur", "31.75.01", "Matraman", "31.75.01.1001", "Pisangan Baru"),
]
CATEGORIES = ["Jalan Rusak", "Sampah", "Banjir", "Parkir Liar", "Penerangan Jalan", "Pohon"]
ENDPOINTS = [
    "/v1/public/summary",
    "/v1/public/timeseries",
    "/v1/public/by-category",
    "/v1/public/by-kelurahan",
    "/v1/public/units",
    "/v1/public/reports?limit=100",
]
FILTERED = [f"/v1/public/summary?kota={k[0]}" for k in KOTA] + [
    f"/v1/public/by-category?kota={k[0]}" for k in KOTA
]
CACHED, UNCACHED = "analytics (cache 10 s)", "analytics (no cache)"


def city_events(n: int, seed: int = 8) -> list[Event]:
    """`n` reports over the last 30 days: every one received and routed, most waiting, a third
    done (with a rating for half of those)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    out: list[Event] = []
    for i in range(n):
        rid = uuid.UUID(int=rng.getrandbits(128))
        at = now - timedelta(days=30 * rng.random())
        kota, kota_name, kec, kec_name, kel, kel_name = rng.choice(KOTA)
        category = rng.choice(CATEGORIES)
        code = f"JKT-B{i:07d}"
        unit = f"kelurahan:{kel}"
        common = {"report_id": rid, "correlation_id": f"bench-{i}"}
        loc = Location(lat=-6.2 + rng.random() / 10, lon=106.8 + rng.random() / 10)
        public = rng.random() < 0.5
        out.append(
            ReportReceived(
                event_id=uuid.uuid5(rid, "r"),
                occurred_at=at,
                **common,
                tracking_code=code,
                channel="jaki",
                category=category,
                description="Jalan berlubang di depan sekolah",
                location=loc,
                visibility="public" if public else "private",
                submitted_at=at,
            )
        )
        out.append(
            ReportRouted(
                event_id=uuid.uuid5(rid, "o"),
                occurred_at=at,
                **common,
                category=category,
                category_source="given",
                kelurahan=AreaRef(kode=kel, name=kel_name),
                kecamatan=AreaRef(kode=kec, name=kec_name),
                kota=AreaRef(kode=kota, name=kota_name),
                unit_id=unit,
                method="polygon",
                needs_coordination=False,
                tracking_code=code,
                channel="jaki",
                location=loc,
                visibility="public" if public else "private",
                submitted_at=at,
            )
        )
        states = [ReportState.WAITING]
        if rng.random() < 0.33:
            states += [ReportState.IN_PROGRESS, ReportState.DONE]
        prev: ReportState | None = ReportState.RECEIVED
        for v, state in enumerate(states, start=1):
            out.append(
                StatusChanged(
                    event_id=uuid.uuid5(rid, f"s{v}"),
                    occurred_at=at + timedelta(hours=v),
                    **common,
                    from_state=prev,
                    to_state=state,
                    unit_id=unit,
                    actor=Actor(role="unit_officer", id="o"),
                    version=v,
                    category=category,
                )
            )
            prev = state
        if prev is ReportState.DONE and rng.random() < 0.5:
            out.append(
                ReportRated(
                    event_id=uuid.uuid5(rid, "rated"),
                    occurred_at=at + timedelta(hours=5),
                    **common,
                    stars=rng.randint(1, 5),
                    unit_id=unit,
                    tracking_code=code,
                    version=len(states),
                )
            )
    return out


async def publish(bootstrap: str, events: list[Event], progress: Progress) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all")
    await producer.start()
    try:
        batch = []
        for e in events:
            batch.append(
                await producer.send(
                    e.TOPIC, e.model_dump_json().encode(), key=str(e.report_id).encode()
                )
            )
            if len(batch) >= 2000:
                await asyncio.gather(*batch)
                progress.update(len(batch))
                batch = []
        await asyncio.gather(*batch)
        progress.update(len(batch))
    finally:
        await producer.stop()


def counter_total(text: str, name: str) -> float:
    """The sum over labels of counter `name` in a /metrics text."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    )


async def wait_applied(url: str, expected: int, timeout_s: float) -> float | None:
    """Seconds until analytics applied `expected` events (its own counter), None on timeout."""
    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as client:
        while time.perf_counter() - began < timeout_s:
            text = (await client.get(url + "/metrics")).text
            if counter_total(text, "aduan_analytics_events_applied_total") >= expected:
                return time.perf_counter() - began
            await asyncio.sleep(0.5)
    return None


@dataclass
class Run:
    label: str
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    cpu_s: float | None = None
    computed: float | None = None

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


async def hammer(url: str, label: str, workers: int, seconds: float, progress: Progress) -> Run:
    """`workers` clients asking, each its next question on the previous answer."""
    raw = RawHttp(url, connections=workers)
    run = Run(label)
    rng = random.Random(3)
    paths = ENDPOINTS * 3 + FILTERED
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            path = rng.choice(paths)
            began = time.perf_counter()
            try:
                r = await raw.get(path)
                if r.status != 200:
                    run.errors += 1
                    continue
            except (OSError, asyncio.IncompleteReadError):
                run.errors += 1
                continue
            key = path.split("?")[0] + ("?kota" if "kota=" in path else "")
            run.latencies.setdefault(key, []).append(time.perf_counter() - began)
            progress.update()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    run.seconds = time.perf_counter() - began
    await raw.aclose()
    return run


def ms(values: list[float], pct: float) -> float | None:
    p = percentile(values, pct)
    return None if p is None else p * 1000


def computations(url: str) -> float:
    text = httpx.get(url + "/metrics", timeout=10).text
    return counter_total(text, "aduan_analytics_public_computations_total")


def main(quick: bool) -> None:
    reports = 2_000 if quick else 10_000
    seconds = 5.0 if quick else 15.0
    workers = 32
    heading(
        f"public: analytics' public API, {reports} reports, {workers} clients, {seconds:g} s each"
    )
    events = city_events(reports)
    with running_stack(("analytics",), {"ANALYTICS_CACHE_TTL_S": "10"}) as stack:
        asyncio.run(run_bench(stack, events, workers, seconds))


async def run_bench(stack: Stack, events: list[Event], workers: int, seconds: float) -> None:
    cached_url = stack.url("analytics")
    progress = Progress("publishing events", len(events))
    began = time.perf_counter()
    await publish(stack.kafka.bootstrap, events, progress)
    progress.close()
    published_s = time.perf_counter() - began
    status("public: waiting for analytics to apply them")
    applied_s = await wait_applied(cached_url, len(events), 600)
    note(
        f"{len(events)} events published in {published_s:.1f} s; analytics applied them "
        + (
            "(timed out)"
            if applied_s is None
            else f"{applied_s + published_s:.1f} s after the first"
            f" ({len(events) / (applied_s + published_s):.0f} events/s)"
        )
    )
    uncached = stack.spawn(
        "analytics",
        UNCACHED,
        {
            "ANALYTICS_CACHE_TTL_S": "0",
            "ANALYTICS_MONGODB_DATABASE": stack.databases["analytics"],
        },
    )
    pids = stack.pids()
    runs = []
    for label, url in ((CACHED, cached_url), (UNCACHED, uncached.url)):
        meter = CpuMeter(pids)
        meter.mark()
        before = computations(url)
        progress = Progress(f"{label}: requests")
        run = await hammer(url, label, workers, seconds, progress)
        progress.close()
        cpu = meter.mark()
        run.cpu_s = sum(
            v for k, v in cpu.items() if k.startswith("analytics") or k.startswith("db")
        )
        run.computed = computations(url) - before
        runs.append(run)
    print_runs(runs, pids)


def print_runs(runs: list[Run], pids: dict[str, int]) -> None:
    a, b = runs
    rows = []
    for key in sorted(set(a.latencies) | set(b.latencies)):
        la, lb = a.latencies.get(key, []), b.latencies.get(key, [])
        rows.append(
            [
                key,
                len(la),
                ms(la, 50),
                ms(la, 99),
                len(lb),
                ms(lb, 50),
                ms(lb, 99),
                ratio(ms(lb, 50), ms(la, 50)),
            ]
        )
    table(
        "(a) latency per endpoint, ms (closed loop: each client asks again on the answer)",
        ["endpoint", "n cached", "p50", "p99", "n no cache", "p50", "p99", "p50 no cache / cached"],
        rows,
    )
    all_a = [v for vs in a.latencies.values() for v in vs]
    all_b = [v for vs in b.latencies.values() for v in vs]
    table(
        "(b) throughput and cost",
        [
            "run",
            "answers/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "DB computations",
            "CPU s (analytics + db)",
        ],
        [
            [
                r.label,
                r.requests / r.seconds,
                ms(v, 50),
                ms(v, 95),
                ms(v, 99),
                r.errors,
                r.computed,
                r.cpu_s,
            ]
            for r, v in ((a, all_a), (b, all_b))
        ],
    )
    rss = {name: memory_mb(pid)[0] for name, pid in pids.items()}
    note(
        "answers/s cached ÷ uncached: "
        + ratio(a.requests / a.seconds, b.requests / b.seconds)
        + "; RSS MB: "
        + ", ".join(f"{k} {v:.0f}" for k, v in rss.items() if v is not None)
    )
