"""The service images' Dockerfile, .dockerignore and `make images` (no Docker engine needed)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"


def stages(text: str) -> list[str]:
    return re.findall(r"^FROM \S+(?: AS (\S+))?", text, flags=re.MULTILINE)


def test_multi_stage_locked_and_per_service() -> None:
    text = DOCKERFILE.read_text()
    assert stages(text) == ["uv", "manifests", "build", "chartjs", "runtime"]
    syncs = re.findall(r"^\s+uv sync ([^\n\\]+)", text, flags=re.MULTILINE)
    assert len(syncs) == 2
    for sync in syncs:
        assert "--locked" in sync and "--no-dev" in sync
        assert '--package "aduan-${SERVICE}"' in sync
    assert "ARG SERVICE" in text
    assert "ENTRYPOINT [" in text


def test_runtime_is_slim_and_non_root() -> None:
    text = DOCKERFILE.read_text()
    runtime = text[text.index("AS runtime") :]
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11-slim", text)
    assert "--uid 10001" in runtime
    assert re.search(r"^USER 10001:10001$", runtime, flags=re.MULTILINE)
    assert "COPY . " not in runtime  # only the built venv reaches the runtime image


def test_chartjs_is_the_one_setup_pins() -> None:
    """The analytics page's Chart.js: the version and integrity of aduan-dev setup's."""
    from aduan_devstack.npm import CHARTJS

    text = DOCKERFILE.read_text()
    assert f"ARG CHARTJS_VERSION={CHARTJS.version}\n" in text
    assert f"ARG CHARTJS_INTEGRITY={CHARTJS.integrity}\n" in text
    runtime = text[text.index("AS runtime") :]
    assert "COPY --from=chartjs /out/chart.umd.js /app/vendor/chart.umd.js" in runtime
    assert "ANALYTICS_CHARTJS_PATH=/app/vendor/chart.umd.js" in runtime


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", "tests", "services/*/tests", "docs"} <= ignored
    assert "uv.lock" not in ignored and "**/README.md" not in ignored  # the build needs them


def test_make_images_says_docker_is_missing() -> None:
    proc = subprocess.run(
        ["make", "-s", "images", "DOCKER=no-such-docker-client"],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "MAKEFLAGS": ""},
    )  # fmt: skip
    assert proc.returncode != 0
    assert "'no-such-docker-client' not found" in proc.stderr
    assert "needs Docker" in proc.stderr
