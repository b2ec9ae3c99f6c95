"""The two SecantusDB servers (Rust secantusd-rs, Python secantusd-py) under the same operations."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aduan_devstack.infra import Mongo, free_port
from benchmarks.common import Progress, cpu_seconds, heading, memory_mb, note, ratio, status, table
from pymongo import MongoClient, ReturnDocument, UpdateOne
from pymongo.database import Database

KINDS = ("rs", "py")
CATEGORIES = ("Jalan", "Banjir", "Sampah", "Parkir Liar", "PJU", "Pohon Tumbang", "Kebersihan")
Doc = dict[str, Any]


@dataclass
class Result:
    value: float | None  # ops/s, docs/s or ms
    server_cpu_pct: float | None = None


@dataclass
class KindResult:
    kind: str
    error: str | None = None
    results: dict[str, Result] = field(default_factory=dict)
    started_in_s: float | None = None
    rss_mb: float | None = None


def report_doc(i: int) -> Doc:
    return {
        "_id": f"r{i:07d}",
        "tracking_code": f"JKT-{i:08d}",
        "category": CATEGORIES[i % len(CATEGORIES)],
        "kelurahan": f"31.71.0{i % 8}.100{i % 9}",
        "score": i % 97,
        "received_at": datetime.now(UTC),
        "description": "Jalan berlubang dekat pertigaan, bahaya untuk pengendara motor " * 2,
    }


@dataclass
class Runner:
    """Runs each operation for at most `n` calls or `budget_s` seconds, timing server CPU."""

    db: Database[Doc]
    server_pid: int | None
    n: int
    budget_s: float

    def _measure(
        self, label: str, body: Callable[[Progress], int]
    ) -> tuple[int, float, float | None]:
        cpu0 = cpu_seconds(self.server_pid) if self.server_pid else None
        progress = Progress(label, self.n)
        began = time.perf_counter()
        count = body(progress)
        seconds = time.perf_counter() - began
        progress.close()
        cpu1 = cpu_seconds(self.server_pid) if self.server_pid else None
        pct = (cpu1 - cpu0) / seconds * 100 if cpu0 is not None and cpu1 is not None else None
        return count, seconds, pct

    def loop(self, label: str, call: Callable[[int], object], n: int | None = None) -> Result:
        limit = n or self.n

        def body(progress: Progress) -> int:
            deadline = time.perf_counter() + self.budget_s
            i = 0
            while i < limit and time.perf_counter() < deadline:
                call(i)
                i += 1
                progress.update()
            return i

        count, seconds, pct = self._measure(label, body)
        return Result(count / seconds, pct)

    def threaded(self, label: str, call: Callable[[int], object], threads: int) -> Result:
        def body(progress: Progress) -> int:
            deadline = time.perf_counter() + self.budget_s

            def worker(w: int) -> int:
                done = 0
                while done * threads < self.n and time.perf_counter() < deadline:
                    call(1_000_000 * (w + 1) + done)
                    done += 1
                    progress.update()
                return done

            with ThreadPoolExecutor(threads) as pool:
                return sum(pool.map(worker, range(threads)))

        count, seconds, pct = self._measure(label, body)
        return Result(count / seconds, pct)


def run_operations(db: Database[Doc], pid: int | None, quick: bool) -> dict[str, Result]:
    run = Runner(db, pid, n=500 if quick else 5000, budget_s=1.5 if quick else 5.0)
    out: dict[str, Result] = {}
    reports, upserts, counters = db["bench_reports"], db["bench_upserts"], db["bench_counters"]
    reports.create_index("tracking_code", unique=True)
    out["insert_one"] = run.loop("insert_one", lambda i: reports.insert_one(report_doc(i)))
    inserted = reports.count_documents({})
    out["insert_one, 4 threads"] = run.threaded(
        "insert_one ×4", lambda i: reports.insert_one(report_doc(i)), threads=4
    )
    half = max(1, run.n // 2)
    out["update_one upsert"] = run.loop(
        "update_one upsert",
        lambda i: upserts.update_one(
            {"_id": f"k{i % half}"}, {"$set": {"n": i, "at": datetime.now(UTC)}}, upsert=True
        ),
    )
    out["find_one_and_update $inc"] = run.loop(
        "find_one_and_update",
        lambda i: counters.find_one_and_update(
            {"_id": f"JKT-{i % 20}"},
            {"$inc": {"seq": 1}, "$setOnInsert": {"created_at": datetime.now(UTC)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        ),
    )
    out["bulk_write 1,000 upserts"] = bulk_upserts(run, db)
    out["find_one by _id"] = run.loop(
        "find_one", lambda i: reports.find_one({"_id": f"r{(i * 7919) % inserted:07d}"})
    )
    out.update(aggregate(run, db, 2_000 if quick else 10_000))
    return out


def bulk_upserts(run: Runner, db: Database[Doc]) -> Result:
    coll = db["bench_bulk"]

    def batch(b: int) -> None:
        ops = [
            UpdateOne({"_id": f"b{(b * 1000 + k) % 6000}"}, {"$set": {"n": b, "k": k}}, upsert=True)
            for k in range(1000)
        ]
        coll.bulk_write(ops, ordered=False)

    result = run.loop("bulk_write ×1,000", batch, n=max(2, run.n // 500))
    return Result(result.value * 1000 if result.value else None, result.server_cpu_pct)


def aggregate(run: Runner, db: Database[Doc], docs: int) -> dict[str, Result]:
    coll = db["bench_agg"]
    began = time.perf_counter()
    for start in range(0, docs, 1000):
        coll.insert_many([report_doc(i) for i in range(start, min(docs, start + 1000))])
    inserted = Result(docs / (time.perf_counter() - began))
    pipeline: list[Doc] = [
        {"$group": {"_id": "$category", "n": {"$sum": 1}, "avg_score": {"$avg": "$score"}}},
        {"$sort": {"n": -1}},
    ]
    times: list[float] = []

    def call(_: int) -> None:
        t = time.perf_counter()
        groups = list(coll.aggregate(pipeline))
        times.append((time.perf_counter() - t) * 1000)
        if sum(g["n"] for g in groups) != docs:
            raise RuntimeError(f"$group counted {groups}, expected {docs} documents in all")

    result = run.loop("aggregate", call, n=7)
    return {
        f"insert_many {docs:,} (1,000/batch)": inserted,
        f"aggregate $group over {docs:,} docs": Result(
            statistics.median(times), result.server_cpu_pct
        ),
    }


@contextmanager
def forced_server(kind: str) -> Iterator[None]:
    """ADUAN_MONGO_SERVER=<kind> while the server starts (aduan_devstack reads it then)."""
    before = os.environ.get("ADUAN_MONGO_SERVER")
    os.environ["ADUAN_MONGO_SERVER"] = kind
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("ADUAN_MONGO_SERVER", None)
        else:
            os.environ["ADUAN_MONGO_SERVER"] = before


def bench_kind(kind: str, quick: bool) -> KindResult:
    out = KindResult(kind)
    with tempfile.TemporaryDirectory(prefix=f"aduan-bench-db-{kind}-") as tmp:
        mongo = Mongo(Path(tmp), port=free_port())
        try:
            status(f"db: starting secantusd-{kind}")
            with forced_server(kind):
                mongo.start(timeout=60)
            out.started_in_s = mongo.started_in_s
            client: MongoClient[Doc] = MongoClient(
                mongo.url,
                directConnection=True,
                serverSelectionTimeoutMS=5000,
                uuidRepresentation="standard",
            )
            try:
                out.results = run_operations(client["bench"], mongo.pid, quick)
            finally:
                client.close()
            out.rss_mb = memory_mb(mongo.pid)[0] if mongo.pid else None
        except Exception as exc:  # a server that cannot start or fails mid-way: reported
            out.error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}"
        finally:
            mongo.stop()
    return out


def main(quick: bool) -> None:
    heading("2. db: SecantusDB servers — secantusd-rs vs secantusd-py (pymongo, sync client)")
    kinds = {kind: bench_kind(kind, quick) for kind in KINDS}
    rs, py = kinds["rs"], kinds["py"]
    names = list(dict.fromkeys([*rs.results, *py.results]))

    def cell(k: KindResult, name: str) -> float | str | None:
        if k.error:
            return "not started"
        r = k.results.get(name)
        return r.value if r else None

    def cpu(k: KindResult, name: str) -> str:
        r = k.results.get(name)
        return f"{r.server_cpu_pct:.0f}%" if r and r.server_cpu_pct is not None else "-"

    rows: list[list[Any]] = []
    for name in names:
        unit = (
            "ms"
            if name.startswith("aggregate")
            else ("docs/s" if "bulk" in name or "many" in name else "ops/s")
        )
        a, b = rs.results.get(name), py.results.get(name)
        speed = (
            (ratio(b.value, a.value) if unit == "ms" else ratio(a.value, b.value))
            if a and b
            else "-"
        )
        rows.append(
            [name, unit, cell(rs, name), cpu(rs, name), cell(py, name), cpu(py, name), speed]
        )
    rows.append(["server startup", "s", rs.started_in_s, "", py.started_in_s, "", ""])
    rows.append(["server RSS after the run", "MB", rs.rss_mb, "", py.rss_mb, "", ""])
    table(
        "same operations, one client, sequential unless noted (srv CPU = server CPU time / wall; "
        "100% = one core)",
        ["operation", "unit", "rs", "srv CPU", "py", "srv CPU", "rs faster by"],
        rows,
    )
    for k in kinds.values():
        if k.error:
            note(f"secantusd-{k.kind}: NOT MEASURED — {k.error}")
