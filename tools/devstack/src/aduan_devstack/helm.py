"""Helm for the chart tests: `go install` from the Go module proxy into the cache (INFRA.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from aduan_devstack.paths import cache_dir, file_lock
from aduan_devstack.process import InfraError, log

HELM_VERSION = "v3.21.4"
"""Pinned: the chart tests' expectations (lint messages, rendering) are those of this version."""
HELM_MODULE = "helm.sh/helm/v3/cmd/helm"
KUBE_MINOR = "36"
"""Kubernetes 1.36: the client-go (v0.36) this helm version is built with."""
#: What helm's own Makefile sets: without them `helm version` says "v3.21" and helm assumes
#: Kubernetes 1.20 (charts with a newer kubeVersion fail to render, lint checks old APIs).
LDFLAGS = " ".join(
    [
        "-s -w",
        f"-X helm.sh/helm/v3/internal/version.version={HELM_VERSION}",
        *(
            f"-X helm.sh/helm/v3/pkg/{pkg}.k8sVersion{part}={value}"
            for pkg in ("lint/rules", "chartutil")
            for part, value in (("Major", "1"), ("Minor", KUBE_MINOR))
        ),
    ]
)


def helm_dir() -> Path:
    """`~/.cache/aduan/helm-<version>`: `bin/helm` and the install log."""
    return cache_dir() / f"helm-{HELM_VERSION}"


def helm_binary() -> Path | None:
    """The cached helm of the pinned version, if installed."""
    candidate = helm_dir() / "bin" / "helm"
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def go_binary() -> str | None:
    found = shutil.which("go")
    if found:
        return found
    candidate = Path("/usr/local/go/bin/go")
    return str(candidate) if candidate.is_file() else None


def ensure_helm() -> Path:
    """The pinned helm; built once with `go install` (about 1.5 minutes on 2 cores).

    Raises InfraError naming what is missing when Go is absent or the build fails."""
    if (binary := helm_binary()) is not None:
        return binary
    go = go_binary()
    if go is None:
        raise InfraError(
            f"helm {HELM_VERSION} is not installed and `go` was not found: install Go 1.24+ "
            f"(https://go.dev/doc/install), then `go install {HELM_MODULE}@{HELM_VERSION}`, "
            "or run `aduan-dev setup` again"
        )
    target = helm_dir()
    with file_lock(cache_dir() / ".helm.lock"):
        if (binary := helm_binary()) is not None:
            return binary
        (target / "bin").mkdir(parents=True, exist_ok=True)
        build_log = target / "install.log"
        log(f"building helm {HELM_VERSION} with `go install` (once); log: {build_log}")
        began = time.monotonic()
        env = {**os.environ, "GOBIN": str(target / "bin"), "GOFLAGS": "-buildvcs=false"}
        cmd = [go, "install", "-ldflags", LDFLAGS, f"{HELM_MODULE}@{HELM_VERSION}"]
        with build_log.open("wb") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
        binary = helm_binary()
        if proc.returncode != 0 or binary is None:
            tail = build_log.read_text(errors="replace").strip()[-1500:]
            raise InfraError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}): {tail}")
        log(f"built {binary} in {time.monotonic() - began:.0f}s")
        return binary
