"""Real Prometheus with the dev scrape config: ready, six jobs, stop leaves nothing behind."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from aduan_devstack.infra import Prometheus
from aduan_devstack.procfs import pid_gone

CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "prometheus" / "prometheus-dev.yml"
JOBS = ("intake", "geo-router", "disposition", "sla-monitor", "notifier", "analytics")


def test_prometheus_ready_and_scrapes_the_six_services(tmp_path: Path, ports: list[int]) -> None:
    prom = Prometheus(tmp_path, port=ports[0], config=CONFIG)
    prom.start(timeout=30)
    try:
        assert prom.url == f"http://127.0.0.1:{ports[0]}"
        assert httpx.get(f"{prom.url}/-/ready").status_code == 200
        targets: list[dict[str, object]] = []
        for _ in range(40):
            body = httpx.get(f"{prom.url}/api/v1/targets").json()
            targets = body["data"]["activeTargets"]
            if len(targets) == len(JOBS):
                break
            time.sleep(0.25)
        found = {(t["labels"]["job"], t["scrapeUrl"]) for t in targets}  # type: ignore[index]
        ports_by_job = dict(zip(JOBS, range(8001, 8007), strict=True))
        assert found == {(j, f"http://127.0.0.1:{p}/metrics") for j, p in ports_by_job.items()}
        assert all(t["scrapeInterval"] == "5s" for t in targets)
    finally:
        pid = prom.pid
        prom.stop()
    assert pid_gone(pid)
    assert not prom.is_running()
