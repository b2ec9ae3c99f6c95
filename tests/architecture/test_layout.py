"""House rules checked over the source tree: service boundaries and the one home of topic names."""

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").exists())
TOPIC = re.compile(r"aduan\.[a-z-]+\.[a-z-]+\.v\d+")


def modules(service: str) -> set[str]:
    imported: set[str] = set()
    for path in (REPO / "services" / service / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    return imported


def test_the_six_services_exist() -> None:
    assert SERVICES == [
        "analytics",
        "disposition",
        "geo-router",
        "intake",
        "notifier",
        "sla-monitor",
    ]


def test_services_import_shared_never_each_other() -> None:
    packages = {f"aduan_{s.replace('-', '_')}" for s in SERVICES}
    for service in SERVICES:
        own = f"aduan_{service.replace('-', '_')}"
        imported = modules(service)
        assert "aduan_shared" in imported, service
        assert imported & packages <= {own}, f"{service} imports {imported & packages - {own}}"
        assert not imported & {"aduan_testkit", "aduan_devstack"}, f"{service} imports test tools"


def test_only_the_geo_router_declares_geopandas() -> None:
    for service in SERVICES:
        declares = "geopandas" in (REPO / "services" / service / "pyproject.toml").read_text()
        assert declares == (service == "geo-router"), service


def test_topic_names_live_only_in_the_events_module() -> None:
    home = REPO / "shared" / "src" / "aduan_shared" / "events.py"
    offenders = []
    for path in [
        *(REPO / "services").rglob("src/**/*.py"),
        *(REPO / "shared" / "src").rglob("*.py"),
    ]:
        if path != home and TOPIC.search(path.read_text()):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
    assert TOPIC.search(home.read_text())
