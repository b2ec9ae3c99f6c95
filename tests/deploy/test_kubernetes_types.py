"""Every rendered object decodes strictly into the Kubernetes API types (kubecheck/, Go).

There is no cluster here to `kubectl apply --dry-run=server` against; decoding each document
with the API's own Go types and unknown fields forbidden catches what a cluster would reject:
a misspelt or misplaced field, a wrong type."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aduan_devstack.helm import go_binary

HERE = Path(__file__).resolve().parent
PRODUCTION = HERE.parents[1] / "deploy" / "helm" / "aduan" / "values-production.yaml"


@pytest.fixture(scope="module")
def kubecheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = go_binary()
    if go is None:
        pytest.fail("kubecheck needs Go (https://go.dev/doc/install): `go` was not found")
    binary = tmp_path_factory.mktemp("kubecheck") / "kubecheck"
    proc = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=HERE / "kubecheck", capture_output=True, text=True, check=False, timeout=540,
        env={**os.environ, "GOFLAGS": "-buildvcs=false -mod=readonly"},
    )  # fmt: skip
    assert proc.returncode == 0, f"building kubecheck failed: {proc.stderr[-2000:]}"
    return binary


def check(kubecheck: Path, manifest: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(kubecheck)], input=manifest, capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize("values", [[], ["-f", str(PRODUCTION)]], ids=["default", "production"])
def test_rendered_objects_are_valid(
    kubecheck: Path, run_helm: Callable[..., Any], values: list[str]
) -> None:
    rendered = run_helm("template", "aduan", "{chart}", *values)
    assert rendered.returncode == 0, rendered.stderr
    proc = check(kubecheck, rendered.stdout)
    assert proc.returncode == 0, proc.stderr
    assert "failed 0" in proc.stdout
    assert "checked 0," not in proc.stdout


def test_a_misplaced_field_is_caught(kubecheck: Path) -> None:
    manifest = """apiVersion: apps/v1
kind: Deployment
metadata: {name: wrong}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
        - name: c
          image: x
          readOnlyRootFilesystem: true
"""
    proc = check(kubecheck, manifest)
    assert proc.returncode == 1
    assert "Deployment wrong" in proc.stderr and "readOnlyRootFilesystem" in proc.stderr
