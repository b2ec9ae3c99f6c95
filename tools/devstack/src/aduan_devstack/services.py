"""The six Aduan services as background subprocesses with logs and pid files under run_dir."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from dotenv import dotenv_values

from aduan_devstack.process import InfraError, ManagedProcess, check_port_free


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    env_prefix: str

    @property
    def port_var(self) -> str:
        """The service's own setting for its HTTP port, e.g. INTAKE_HTTP_PORT."""
        return f"{self.env_prefix}HTTP_PORT"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("intake", "aduan_intake", 8001, "INTAKE_"),
    ServiceSpec("geo-router", "aduan_geo_router", 8002, "GEO_ROUTER_"),
    ServiceSpec("disposition", "aduan_disposition", 8003, "DISPOSITION_"),
    ServiceSpec("sla-monitor", "aduan_sla_monitor", 8004, "SLA_MONITOR_"),
    ServiceSpec("notifier", "aduan_notifier", 8005, "NOTIFIER_"),
    ServiceSpec("analytics", "aduan_analytics", 8006, "ANALYTICS_"),
)


def load_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a dotenv file (# comments allowed); {} if it does not exist."""
    if not path.is_file():
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def service_env(
    repo_root: Path, kafka_bootstrap: str, mongo_url: str, base: dict[str, str] | None = None
) -> dict[str, str]:
    """os.environ + config/dev.env (never overriding what is set) + the infrastructure's URLs."""
    env = dict(os.environ if base is None else base)
    for key, value in load_env_file(repo_root / "config" / "dev.env").items():
        env.setdefault(key, value)
    env["KAFKA_BOOTSTRAP_SERVERS"] = kafka_bootstrap
    env["MONGODB_URL"] = mongo_url
    # Jakarta's configuration; its boundaries are read from ../shared/data/jakarta (city.yaml).
    city = repo_root / "config" / "cities" / "jakarta"
    if "ADUAN_CITY_DIR" not in env and (city / "city.yaml").is_file():
        env["ADUAN_CITY_DIR"] = str(city)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class ServiceProcess(ManagedProcess):
    """One service: `python -m <module>`, log and pid file in `run_dir/services/`.

    Its port is `<PREFIX>_HTTP_PORT` from `env` when set there, else the contract's default."""

    def __init__(
        self,
        run_dir: Path,
        spec: ServiceSpec,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = spec.name
        super().__init__(run_dir)
        self.spec = spec
        self.dir = self.run_dir / "services"
        self._env_vars = env
        self._workdir = cwd
        self.port = spec.port
        if env and env.get(spec.port_var, "").strip().isdigit():
            self.port = int(env[spec.port_var])
        self._began: float | None = None

    @property
    def pid_file(self) -> Path:
        return self.dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.dir / f"{self.name}.log"

    @property
    def state_file(self) -> Path:
        return self.dir / f"{self.name}.json"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _marker(self) -> str:
        return f"-m {self.spec.module}"

    def _ports(self) -> list[int]:
        return [self.port]

    def _env(self) -> dict[str, str] | None:
        return self._env_vars

    def _cwd(self) -> Path:
        return self._workdir or self.dir

    def _command(self) -> list[str]:
        return [sys.executable, "-m", self.spec.module]

    def _probe_ready(self) -> bool:
        return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200

    def describe(self) -> dict[str, object]:
        return {"url": self.url, "module": self.spec.module, "port": self.port}

    def mark_ready(self) -> None:
        """Record the startup time of a service started with spawn()."""
        if self._began is not None:
            self.started_in_s = round(time.monotonic() - self._began, 2)
        self._write_state(**self.describe())

    def spawn(self) -> None:
        """Start without waiting (wait_all_ready waits for all of them together)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.is_running():
            return
        self.pid_file.unlink(missing_ok=True)
        check_port_free(self.port, f"service {self.name}")
        self._began = time.monotonic()
        self._spawn()


def wait_all_ready(procs: list[ServiceProcess], timeout: float) -> None:
    """Wait (bounded) until every service's /readyz is 200; InfraError naming the first failure."""
    deadline = time.monotonic() + timeout
    pending = list(procs)
    while pending:
        for proc in list(pending):
            if not proc.is_running():
                raise InfraError(
                    f"service {proc.name} {proc.exit_text()}; log tail:\n{proc.log_tail(40)}"
                )
            if proc.ready():
                proc.mark_ready()
                pending.remove(proc)
        if pending and time.monotonic() >= deadline:
            proc = pending[0]
            raise InfraError(
                f"service {proc.name} not ready ({proc.url}/readyz) within {timeout:.0f}s; "
                f"log tail:\n{proc.log_tail(40)}"
            )
        if pending:
            time.sleep(0.5)
