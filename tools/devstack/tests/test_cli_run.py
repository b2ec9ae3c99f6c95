"""`aduan-dev run` end to end with stand-in services: detach + down, Ctrl-C, a failing service."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from aduan_devstack.procfs import is_alive
from aduan_devstack.services import SERVICES

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


@pytest.fixture
def fake_repo(tmp_path: Path) -> Path:
    """A repository skeleton (Makefile, services/, config/dev.env, deploy/) plus stub services."""
    repo = tmp_path / "repo"
    (repo / "services").mkdir(parents=True)
    (repo / "Makefile").write_text("run:\n\taduan-dev run\n")
    (repo / "config").mkdir()
    (repo / "config" / "dev.env").write_text(
        "# comment\nSTUB_DEV=from-dev-env\nSTUB_SHELL=from-dev-env\n"
        "KAFKA_BOOTSTRAP_SERVERS=wrong:1\n"
    )
    shutil.copytree(REPO / "deploy" / "prometheus", repo / "deploy" / "prometheus")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    shutil.copy(HERE / "stub_service.py", stubs / "stub_service.py")
    for spec in SERVICES:
        (stubs / spec.module).mkdir()
        (stubs / spec.module / "__init__.py").write_text("")
        (stubs / spec.module / "__main__.py").write_text(
            f"import stub_service\n\nstub_service.main({spec.module!r})\n"
        )
    return repo


def _env(fake_repo: Path, ports: list[int]) -> dict[str, str]:
    from aduan_devstack.procfs import free_ports

    env = {k: v for k, v in os.environ.items() if k != "ADUAN_RUN_DIR"}
    env.update(
        PYTHONPATH=str(fake_repo.parent / "stubs"),
        ADUAN_KAFKA_PORT=str(ports[0]),
        ADUAN_KAFKA_CONTROLLER_PORT=str(ports[1]),
        ADUAN_MONGO_PORT=str(ports[2]),
        ADUAN_PROMETHEUS_PORT=str(ports[3]),
        ADUAN_KAFKA_HEAP="384m",
        STUB_SHELL="shell",
    )
    services = free_ports(len(SERVICES), avoid=ports)  # the servers' ports are not bound yet
    for spec, port in zip(SERVICES, services, strict=True):
        env[spec.port_var] = str(port)
    return env


def _cli(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aduan_devstack", *args],
        cwd=repo, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


def _pids(run_dir: Path) -> list[int]:
    return [int(p.read_text().split()[0]) for p in run_dir.rglob("*.pid")]


def test_run_detach_down_ctrl_c_and_failure(fake_repo: Path, ports: list[int]) -> None:
    env = _env(fake_repo, ports)
    try:
        _scenarios(fake_repo, env, ports)
    finally:
        _cli(fake_repo, env, "down")  # never leave servers behind, even when an assert fails


def _scenarios(fake_repo: Path, env: dict[str, str], ports: list[int]) -> None:
    run_dir = fake_repo / ".run"

    # 1. run --detach, everything answers, `down` leaves nothing behind
    done = _cli(fake_repo, env, "run", "--detach")
    assert done.returncode == 0, done.stderr
    intake_port = env["INTAKE_HTTP_PORT"]
    assert f"http://127.0.0.1:{intake_port}/docs" in done.stdout
    assert f"127.0.0.1:{ports[0]}" in done.stdout
    assert f"mongodb://127.0.0.1:{ports[2]}" in done.stdout
    assert httpx.get(f"http://127.0.0.1:{intake_port}/readyz").status_code == 200
    seen = json.loads(
        (run_dir / "services" / "intake.log").read_text().split("ENV ", 1)[1].splitlines()[0]
    )
    assert seen["KAFKA_BOOTSTRAP_SERVERS"] == f"127.0.0.1:{ports[0]}"
    assert seen["MONGODB_URL"] == f"mongodb://127.0.0.1:{ports[2]}"
    assert seen["STUB_DEV"] == "from-dev-env" and seen["STUB_SHELL"] == "shell"
    status = _cli(fake_repo, env, "status")
    assert status.stdout.count("running") == 9, status.stdout
    pids = _pids(run_dir)
    assert len(pids) == 9
    down = _cli(fake_repo, env, "down")
    assert down.returncode == 0 and "kafka" in down.stdout
    assert not any(is_alive(pid) for pid in pids)
    assert _pids(run_dir) == []

    # 2. foreground run, Ctrl-C (SIGINT) stops services then infrastructure
    proc = subprocess.Popen(
        [sys.executable, "-m", "aduan_devstack", "run"],
        cwd=fake_repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while len(_pids(run_dir)) < 9 or not _all_ready(env):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "platform not up in time"
            time.sleep(0.5)
        pids = _pids(run_dir)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert not any(is_alive(pid) for pid in pids)

    # 3. a service that cannot start: its log tail is shown, everything is stopped, exit 1
    failing = _cli(fake_repo, {**env, "STUB_FAIL": "aduan_notifier"}, "run", "--detach")
    assert failing.returncode == 1
    assert "notifier" in failing.stderr and "failing on purpose" in failing.stderr
    assert not any(is_alive(pid) for pid in _pids(run_dir))
    assert _pids(run_dir) == []


def _all_ready(env: dict[str, str]) -> bool:
    try:
        return all(
            httpx.get(f"http://127.0.0.1:{env[s.port_var]}/readyz").status_code == 200
            for s in SERVICES
        )
    except httpx.HTTPError:
        return False
