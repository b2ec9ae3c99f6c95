"""Prometheus (Debian package) as our own local process, never the Debian systemd service."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx

from aduan_devstack.paths import find_repo_root
from aduan_devstack.process import InfraError, ManagedProcess, log

DEFAULT_CONFIG = Path("deploy/prometheus/prometheus-dev.yml")


def prometheus_binary() -> str | None:
    found = shutil.which("prometheus")
    if found:
        return found
    return "/usr/bin/prometheus" if Path("/usr/bin/prometheus").is_file() else None


def ensure_prometheus() -> str:
    """The `prometheus` binary; installs the Debian package when missing and we are root."""
    if (binary := prometheus_binary()) is not None:
        return binary
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise InfraError(
            "prometheus not found: install the Debian package (sudo apt-get install prometheus)"
        )
    log("installing the Debian package prometheus (apt-get) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in ([apt, "update", "-q"], [apt, "install", "-y", "-q", "prometheus"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            raise InfraError(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-1500:]}")
    binary = prometheus_binary()
    if binary is None:
        raise InfraError("apt-get install prometheus succeeded but no prometheus binary was found")
    return binary


def promtool_binary() -> str | None:
    """`promtool`, which Debian ships in the prometheus package beside the server."""
    found = shutil.which("promtool")
    if found:
        return found
    return "/usr/bin/promtool" if Path("/usr/bin/promtool").is_file() else None


def ensure_promtool() -> str:
    """The `promtool` binary; installs the Debian package prometheus when missing."""
    if (binary := promtool_binary()) is not None:
        return binary
    ensure_prometheus()
    binary = promtool_binary()
    if binary is None:
        raise InfraError("the prometheus package is installed but no promtool was found")
    return binary


def resolve_config(config: Path) -> Path:
    """An absolute config path: as given, else relative to the repository root."""
    if config.is_absolute() or config.exists():
        return config.resolve()
    root = find_repo_root()
    if root is not None and (root / config).exists():
        return (root / config).resolve()
    raise InfraError(f"prometheus config {config} not found (from {Path.cwd()} or the repo root)")


class Prometheus(ManagedProcess):
    """Prometheus under `run_dir/prometheus/` scraping what `config` names."""

    name = "prometheus"

    def __init__(self, run_dir: Path, port: int = 9090, config: Path = DEFAULT_CONFIG) -> None:
        super().__init__(run_dir)
        self.port = port
        self.config = Path(config)
        self.data_dir = self.dir / "data"
        self._binary: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _marker(self) -> str:
        return f"--storage.tsdb.path={self.data_dir}"

    def _ports(self) -> list[int]:
        return [self.port]

    def describe(self) -> dict[str, object]:
        return {"url": self.url, "config": str(self.config)}

    def _prepare(self) -> None:
        self._binary = ensure_prometheus()
        self.config = resolve_config(self.config)
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def _command(self) -> list[str]:
        assert self._binary is not None
        return [
            self._binary,
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.data_dir}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=7d",
            "--web.enable-lifecycle",
        ]

    def _probe_ready(self) -> bool:
        return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200

    def start(self, timeout: float = 30) -> None:
        """Start Prometheus and wait until GET /-/ready answers 200."""
        super().start(timeout)
