"""Prometheus rules and Grafana dashboards become ConfigMaps, whatever deploy/ holds (or not)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "aduan"

Docs = list[dict[str, Any]]

RULES = """groups:
  - name: aduan-test
    rules:
      - alert: IntakeDown
        expr: up{job="intake"} == 0
        for: 5m
"""


def labelled(docs: Docs, label: str) -> list[dict[str, Any]]:
    return [
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"].get("labels", {}).get(label) == "1"
    ]


def dashboards_in_repo() -> list[Path]:
    grafana = REPO / "deploy" / "grafana"
    return [p for p in grafana.rglob("*.json") if "provisioning" not in p.parts]


def rule_files_in_repo() -> list[Path]:
    import yaml

    found = []
    for path in (REPO / "deploy" / "prometheus").rglob("*.y*ml"):
        if path.name.startswith("prometheus-"):
            continue  # scrape configs of the workstation (.helmignore)
        doc = yaml.safe_load(path.read_text())
        if isinstance(doc, dict) and "groups" in doc:
            found.append(path)
    return found


def test_repository_files_become_configmaps(default_docs: Docs) -> None:
    """As many dashboard and rule ConfigMaps as deploy/ has files: none today is fine."""
    assert len(labelled(default_docs, "grafana_dashboard")) == len(dashboards_in_repo())
    assert len(labelled(default_docs, "prometheus_rule")) == len(rule_files_in_repo())


def test_added_files_are_picked_up(render: Callable[..., Docs], tmp_path: Path) -> None:
    chart = tmp_path / "aduan"
    shutil.copytree(CHART, chart, symlinks=False)  # the links to deploy/ become real folders
    (chart / "files" / "prometheus" / "rules").mkdir(exist_ok=True)
    (chart / "files" / "prometheus" / "rules" / "aduan-sla.yml").write_text(RULES)
    (chart / "files" / "prometheus" / "notes.yml").write_text("scrape_configs: []\n")
    board = {"title": "Aduan overview", "panels": [], "schemaVersion": 39}
    (chart / "files" / "grafana" / "dashboards" / "Overview_Board.json").write_text(
        json.dumps(board)
    )
    docs = render("--set", "monitoring.rules.prometheusRule=true", chart=chart)
    boards = labelled(docs, "grafana_dashboard")
    mine = [b for b in boards if b["metadata"]["name"] == "aduan-dashboard-overview-board"]
    assert len(mine) == 1
    assert json.loads(mine[0]["data"]["Overview_Board.json"]) == board
    assert mine[0]["metadata"]["annotations"]["grafana_folder"] == "Aduan"
    rules = [r for r in labelled(docs, "prometheus_rule") if "aduan-sla" in r["metadata"]["name"]]
    assert len(rules) == 1 and rules[0]["data"]["aduan-sla.yml"] == RULES.rstrip("\n")
    assert not [r for r in labelled(docs, "prometheus_rule") if "notes" in r["metadata"]["name"]]
    crd = [d for d in docs if d["kind"] == "PrometheusRule"]
    assert [
        r["spec"]["groups"][0]["name"] for r in crd if "aduan-sla" in r["metadata"]["name"]
    ] == ["aduan-test"]


def test_service_monitors_scrape_metrics(production_docs: Docs) -> None:
    monitors = [d for d in production_docs if d["kind"] == "ServiceMonitor"]
    assert monitors
    for monitor in monitors:
        assert monitor["spec"]["endpoints"] == [
            {"port": "http", "path": "/metrics", "interval": "30s"}
        ]
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
