"""Bring the infrastructure and the six services up and down together (`aduan-dev run/down`)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from aduan_devstack.infra import INFRA_NAMES, Kafka, Mongo, ensure_topics, infra_from_env
from aduan_devstack.paths import find_repo_root
from aduan_devstack.process import InfraError, ManagedProcess, log
from aduan_devstack.services import SERVICES, ServiceProcess, service_env, wait_all_ready


def describe_start(proc: ManagedProcess) -> str:
    """One line: what started where, how fast, how big."""
    address = getattr(proc, "bootstrap", None) or getattr(proc, "url", None) or ""
    extra = f" ({proc.server_kind})" if isinstance(proc, Mongo) else ""
    rss = proc.rss_mb()
    how = "already running" if proc.adopted else f"started in {proc.started_in_s or 0:.1f}s"
    return (
        f"{proc.name:<12} {address + extra:<42} {how}, "
        f"RSS {rss if rss is not None else '?'} MB, pid {proc.pid}"
    )


def start_infra(run_dir: Path, names: list[str] | None = None) -> dict[str, ManagedProcess]:
    """Start the named servers (default all), printing one line each."""
    infra = infra_from_env(run_dir)
    for name in names or list(INFRA_NAMES):
        proc = infra[name]
        log(f"starting {name} ...")
        proc.start()
        print(describe_start(proc), flush=True)
    return infra


def platform_topics() -> list[str]:
    """Topics to pre-create: aduan_shared.events.ALL_TOPICS (+ DLQs), [] if not importable."""
    try:
        from aduan_shared import events  # type: ignore[import-not-found, unused-ignore]
    except Exception as exc:
        log(f"aduan_shared.events not importable ({exc}); topics are not pre-created")
        return []
    topics = [*getattr(events, "ALL_TOPICS", ()), *getattr(events, "ALL_DLQ_TOPICS", ())]
    return [str(t) for t in topics]


def service_procs(
    run_dir: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> list[ServiceProcess]:
    return [ServiceProcess(run_dir, spec, env, cwd) for spec in SERVICES]


def stop_all(run_dir: Path) -> list[str]:
    """Stop the services, then Prometheus, Mongo and Kafka (only PIDs our pid files name)."""
    stopped = []
    infra = infra_from_env(run_dir)
    procs: list[ManagedProcess] = [*reversed(service_procs(run_dir))]
    procs += [infra["prometheus"], infra["mongo"], infra["kafka"]]
    for proc in procs:
        pid = proc.pid
        if pid is not None:
            log(f"stopping {proc.name} (pid {pid}) ...")
            proc.stop()
            stopped.append(proc.name)
        else:
            proc.pid_file.unlink(missing_ok=True)
    return stopped


def print_urls(procs: list[ServiceProcess], infra: dict[str, ManagedProcess]) -> None:
    rows = [("service", "url", "docs", "metrics")]
    rows += [(p.name, p.url, f"{p.url}/docs", f"{p.url}/metrics") for p in procs]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    kafka, mongo = infra["kafka"], infra["mongo"]
    assert isinstance(kafka, Kafka) and isinstance(mongo, Mongo)
    print(f"{'prometheus':<12} {getattr(infra['prometheus'], 'url', '')}")
    print(f"{'kafka':<12} {kafka.bootstrap}")
    print(f"{'mongo':<12} {mongo.url} ({mongo.server_kind})")
    sys.stdout.flush()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_platform(run_dir: Path, detach: bool = False, timeout: float = 120) -> int:
    """Infra up, topics, six services up and ready; foreground until Ctrl-C unless `detach`."""
    root = find_repo_root()
    if root is None:
        raise InfraError("not inside the Aduan repository (no Makefile + services/ found upward)")
    # SIGINT too: a shell starting us in the background would otherwise leave it ignored.
    previous = {
        sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    code = 0
    try:
        infra = start_infra(run_dir)
        kafka, mongo = infra["kafka"], infra["mongo"]
        assert isinstance(kafka, Kafka) and isinstance(mongo, Mongo)
        topics = platform_topics()
        if topics:
            created = ensure_topics(kafka.bootstrap, topics)
            log(f"topics: {len(topics)} ensured, {len(created)} created")
        procs = service_procs(run_dir, service_env(root, kafka.bootstrap, mongo.url), root)
        for proc in procs:
            proc.spawn()
        log(f"waiting for the services' /readyz (up to {timeout:.0f}s) ...")
        wait_all_ready(procs, timeout)
        print_urls(procs, infra)
        if detach:
            log("running in the background; `aduan-dev down` stops everything")
            return 0
        log("running; Ctrl-C stops the services and the infrastructure")
        _watch(procs)
        log("every service has exited (`aduan-dev down`?): stopping the infrastructure")
        _stop_quietly(run_dir)
        _reap_children()
    except KeyboardInterrupt:
        log("stopping ...")
        code = 0 if not detach else 130
        _stop_quietly(run_dir)
    except InfraError as exc:
        print(f"aduan-dev: error: {exc}", file=sys.stderr, flush=True)
        _stop_quietly(run_dir)
        code = 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _watch(procs: list[ServiceProcess]) -> None:
    """Block until interrupted or every service is gone, reporting services that exit."""
    dead: set[str] = set()
    while len(dead) < len(procs):
        time.sleep(1)
        for proc in procs:
            if proc.name not in dead and not proc.is_running():
                dead.add(proc.name)
                log(f"service {proc.name} exited; log tail:\n{proc.log_tail(20)}")


def _reap_children() -> None:
    """Collect the exit status of children another process stopped, so none stays a zombie."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def _stop_quietly(run_dir: Path) -> None:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        stop_all(run_dir)
    finally:
        signal.signal(signal.SIGINT, previous)
