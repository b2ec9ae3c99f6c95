"""Helm (installed by tools/devstack) and the chart rendered with its two values files.

Never skipped: a missing helm that cannot be built fails every chart test with the reason."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aduan_devstack.helm import ensure_helm
from aduan_devstack.process import InfraError

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "aduan"
PRODUCTION = CHART / "values-production.yaml"

Docs = list[dict[str, Any]]
Render = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def helm() -> Path:
    try:
        return ensure_helm()
    except InfraError as exc:
        pytest.fail(f"helm is needed for the chart tests and could not be had: {exc}")


@pytest.fixture(scope="session")
def run_helm(helm: Path) -> Render:
    """`helm <args>` with the chart's path available as {chart}; the completed process."""

    def run(*args: str | Path, chart: Path = CHART) -> subprocess.CompletedProcess[str]:
        argv = [str(helm), *(str(a).replace("{chart}", str(chart)) for a in args)]
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

    return run


def parse(manifest: str) -> Docs:
    return [doc for doc in yaml.safe_load_all(manifest) if doc]


@pytest.fixture(scope="session")
def render(run_helm: Render) -> Callable[..., Docs]:
    """`helm template` with extra arguments; fails the test with helm's message if it fails."""

    def rendered(*args: str | Path, chart: Path = CHART) -> Docs:
        proc = run_helm("template", "aduan", "{chart}", "--namespace", "aduan", *args, chart=chart)
        assert proc.returncode == 0, proc.stderr
        return parse(proc.stdout)

    return rendered


@pytest.fixture(scope="session")
def default_docs(render: Callable[..., Docs]) -> Docs:
    return render()


@pytest.fixture(scope="session")
def production_docs(render: Callable[..., Docs]) -> Docs:
    return render("-f", PRODUCTION)


@pytest.fixture(scope="session")
def values() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return loaded
