"""The simulator stands alone: it imports the shared package, never a service or test helpers."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "aduan_simulator"
REPO = Path(__file__).resolve().parents[3]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_simulator_imports_no_service_and_no_test_helpers() -> None:
    modules = sorted(SRC.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        aduan = {n for n in imported(module) if n.startswith("aduan_")}
        assert aduan <= {"aduan_shared", "aduan_simulator"}, (module.name, aduan)


def test_no_service_imports_the_simulator() -> None:
    sources = list((REPO / "services").glob("*/src/**/*.py"))
    assert sources
    for path in sources:
        assert "aduan_simulator" not in imported(path), path
