"""Helm as `aduan-dev setup` installs it: the pinned version, built like helm's own releases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from aduan_devstack import helm as helm_module
from aduan_devstack.process import InfraError


def test_the_pinned_version_is_cached(helm: Path) -> None:
    assert helm == helm_module.helm_dir() / "bin" / "helm"
    assert helm_module.HELM_VERSION in str(helm)
    out = subprocess.run(
        [str(helm), "version", "--short"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith(helm_module.HELM_VERSION)


def test_helm_assumes_a_current_kubernetes(helm: Path, tmp_path: Path) -> None:
    """Without the release build's flags helm assumes Kubernetes 1.20 and the chart refuses it."""
    chart = tmp_path / "probe"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "templates" / "v.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v}\n"
        "data: {kube: {{ .Capabilities.KubeVersion.Version | quote }}}\n"
    )
    out = subprocess.run(
        [str(helm), "template", str(chart)], capture_output=True, text=True, check=True
    ).stdout
    assert f'kube: "v1.{helm_module.KUBE_MINOR}.0"' in out


def test_missing_go_is_said_plainly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing installed there
    monkeypatch.setattr(helm_module, "go_binary", lambda: None)
    with pytest.raises(InfraError, match=r"`go` was not found.*go install helm\.sh/helm"):
        helm_module.ensure_helm()
