"""PostGIS reference for the geo benchmark: a throw-away cluster and an ST_Contains worker.

How it runs (imported by `geo_speed.py`, stdlib only at import time):
- `cluster()` starts Debian's PostgreSQL 15 (`apt-get install -y postgresql-15-postgis-3`) with
  `initdb --auth=trust` in a fresh temp dir, on a free port, socket in that dir, listening on
  127.0.0.1 only, durability off and parallel query off (one backend = one core, like
  `locate_many`); as root it runs initdb/pg_ctl as the `postgres` user (`runuser`). It always
  stops the server (pg_ctl stop, else SIGTERM to the postmaster it started) and deletes the dir.
- `measure()` runs this file as a script (the worker) in a separate Python that has psycopg 3:
  the current interpreter when psycopg is importable, else a throw-away environment from
  `uv run --no-project --with 'psycopg[binary]'` (nothing is added to the workspace). The worker
  reads the polygons (WKB, kelurahan order) and the points (float64 files) from a temp dir, loads
  them into PostGIS (SRID 4326, GiST index), times the queries itself and prints one JSON object.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
PACKAGE = "postgresql-15-postgis-3"
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    " -c full_page_writes=off -c max_parallel_workers_per_gather=0 -c shared_buffers=256MB"
    " -c work_mem=256MB"
)
# point i is answered by the smallest polygon index containing it (the router's border rule)
SINGLE_SQL = (
    "SELECT min(idx) FROM kel WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
)
UNNEST_SQL = (
    "SELECT p.i, min(k.idx) FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY"
    " AS p(lon, lat, i) JOIN kel k"
    " ON ST_Contains(k.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)) GROUP BY p.i"
)
LOAD_SQL = (
    "CREATE UNLOGGED TABLE pts AS SELECT i::int, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom"
    " FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(lon, lat, i)"
)
JOIN_SQL = (
    "SELECT p.i, min(k.idx) FROM pts p JOIN kel k ON ST_Contains(k.geom, p.geom) GROUP BY p.i"
)


def unavailable() -> str | None:
    """Why PostGIS cannot be measured here (with the fix), or None."""
    if not (PG_BIN / "initdb").exists() or not POSTGIS_CONTROL.exists():
        return f"PostgreSQL 15 + PostGIS 3 not installed: apt-get install -y {PACKAGE}"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without `runuser` to start PostgreSQL as the postgres user"
    if _client() is None:
        return "psycopg is not importable and `uv` is not on PATH to run the worker with it"
    return None


def _client() -> list[str] | None:
    if importlib.util.find_spec("psycopg"):
        return [sys.executable]
    uv = shutil.which("uv")
    return [uv, "run", "--no-project", "-q", "--with", "psycopg[binary]", "python"] if uv else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def cluster() -> Iterator[str]:
    """A throw-away PostgreSQL server; yields its DSN and stops it on the way out, even on error."""
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    tmp = Path(tempfile.mkdtemp(prefix="aduan-pg-"))
    data, log = tmp / "data", tmp / "server.log"
    if as_user:
        shutil.chown(tmp, "postgres", "postgres")
    port = _free_port()
    try:
        initdb = [*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres"]
        _run([*initdb, "--auth=trust", "-E", "UTF8", "--no-sync"])
        options = f"-p {port} -k {tmp} {SERVER_OPTIONS}"
        ctl = [*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data)]
        _run([*ctl, "-l", str(log), "-w", "-t", "60", "-o", options, "start"], log)
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    finally:
        _stop(as_user, data)
        shutil.rmtree(tmp, ignore_errors=True)


def _run(cmd: Sequence[str], log: Path | None = None) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode:
        tail = log.read_text()[-800:] if log and log.exists() else ""
        raise RuntimeError(f"{' '.join(cmd[:6])} … failed: {done.stderr.strip()[-800:]}\n{tail}")


def _stop(as_user: list[str], data: Path) -> None:
    pidfile = data / "postmaster.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().split()[0])
    ctl = [*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "30"]
    try:
        subprocess.run([*ctl, "stop"], capture_output=True, timeout=40, check=True)
    except (subprocess.SubprocessError, OSError):
        deadline = time.monotonic() + 10
        try:
            os.kill(pid, signal.SIGTERM)  # the postmaster this cluster() started
            while time.monotonic() < deadline and pidfile.exists():
                time.sleep(0.1)
            if pidfile.exists():
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def measure(
    dsn: str, polygons_wkb: Sequence[bytes], lons: Any, lats: Any, single: int
) -> dict[str, Any]:
    """Run the worker: `single` one-point queries, then set-based joins of all points.

    `lons`/`lats` are float64 numpy arrays; returns the worker's JSON as a dict.
    """
    client = _client()
    if client is None:
        raise RuntimeError(unavailable() or "no client")
    with tempfile.TemporaryDirectory(prefix="aduan-pgdata-") as tmp:
        folder = Path(tmp)
        (folder / "polygons.json").write_text(json.dumps([w.hex() for w in polygons_wkb]))
        lons.astype("<f8").tofile(folder / "lons.f64")
        lats.astype("<f8").tofile(folder / "lats.f64")
        cmd = [*client, str(Path(__file__).resolve()), dsn, str(folder), str(single)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode:
        last = done.stderr.strip().splitlines()[-3:]
        raise RuntimeError(f"PostGIS worker exited {done.returncode}: {' | '.join(last)}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run(polygons_wkb: Sequence[bytes], lons: Any, lats: Any, single: int) -> dict[str, Any] | str:
    """Start a cluster, measure, stop it: the figures, or why there are none (never raises)."""
    why = unavailable()
    if why:
        return why
    try:
        began = time.perf_counter()
        with cluster() as dsn:
            started = time.perf_counter() - began
            out = measure(dsn, polygons_wkb, lons, lats, single)
    except Exception as exc:  # the report says what failed; the run goes on
        return f"failed: {exc}"
    out["started_s"] = started
    return out


def _owners(n: int, rows: Sequence[tuple[int, int]]) -> list[int]:
    owners = [-1] * n
    for i, idx in rows:
        owners[i - 1] = idx
    return owners


def worker(dsn: str, folder: Path, single: int) -> dict[str, Any]:
    """In the psycopg environment: load, time, and return figures and per-point answers."""
    import psycopg  # only here: the benchmark process itself need not have it

    polygons = [bytes.fromhex(h) for h in json.loads((folder / "polygons.json").read_text())]
    lons, lats = array("d"), array("d")
    lons.frombytes((folder / "lons.f64").read_bytes())
    lats.frombytes((folder / "lats.f64").read_bytes())
    n, out = len(lons), dict[str, Any]()
    with psycopg.connect(dsn, autocommit=True) as conn:
        began = time.perf_counter()
        conn.execute("CREATE EXTENSION postgis")
        versions = "SELECT postgis_lib_version(), current_setting('server_version')"
        out["version"] = "PostGIS {} on PostgreSQL {}".format(
            *conn.execute(versions).fetchone() or ()
        )
        conn.execute("CREATE TABLE kel (idx int PRIMARY KEY, geom geometry(Geometry, 4326))")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO kel VALUES (%s, ST_GeomFromWKB(%s, 4326))", list(enumerate(polygons))
            )
        conn.execute("CREATE INDEX kel_geom ON kel USING gist (geom)")
        conn.execute("ANALYZE kel")
        out["setup_s"] = time.perf_counter() - began
        with conn.cursor() as cur:  # one prepared statement over one connection, one point a call
            for j in range(min(200, n)):
                cur.execute(SINGLE_SQL, (lons[j], lats[j]), prepare=True)
            owners, nanos = [], []
            clock = time.perf_counter_ns
            for j in range(min(single, n)):
                t0 = clock()
                cur.execute(SINGLE_SQL, (lons[j], lats[j]), prepare=True)
                row = cur.fetchone()
                nanos.append(clock() - t0)
                owners.append(-1 if row is None or row[0] is None else row[0])
        out["single"] = {"owners": owners, "nanos": nanos}
        lon_list, lat_list = lons.tolist(), lats.tolist()
        began = time.perf_counter()
        rows = conn.execute(UNNEST_SQL, (lon_list, lat_list), binary=True).fetchall()
        out["unnest"] = {"seconds": time.perf_counter() - began, "owners": _owners(n, rows)}
        began = time.perf_counter()
        conn.execute(LOAD_SQL, (lon_list, lat_list), binary=True)
        conn.execute("ANALYZE pts")
        out["load_s"] = time.perf_counter() - began
        began = time.perf_counter()
        rows = conn.execute(JOIN_SQL).fetchall()
        out["join"] = {"seconds": time.perf_counter() - began, "owners": _owners(n, rows)}
        plan = conn.execute("EXPLAIN " + JOIN_SQL).fetchall()
        nodes = (re.sub(r"\s*\(cost=.*", "", r[0]).strip() for r in plan)
        out["join_plan"] = " / ".join(n for n in nodes if n[:3] not in ("JIT", "Fun", "Opt"))
    return out


if __name__ == "__main__":
    print(json.dumps(worker(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))))
