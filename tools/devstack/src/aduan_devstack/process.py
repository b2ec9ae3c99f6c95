"""Background server processes with pid files, process groups, readiness waits and RSS."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from aduan_devstack.procfs import (
    group_members,
    is_alive,
    port_in_use,
    port_owner,
    proc_cmdline,
    proc_start_ticks,
    rss_mb_of,
)


class InfraError(RuntimeError):
    """A piece of the local infrastructure is missing or could not start."""


def log(message: str) -> None:
    """Progress message for humans (stderr, so stdout stays parseable)."""
    print(f"[aduan-dev] {message}", file=sys.stderr, flush=True)


def tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a text file ('' if it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def check_port_free(port: int, what: str) -> None:
    """Raise InfraError naming the owner if 127.0.0.1:`port` cannot be bound."""
    if port_in_use(port):
        owner = port_owner(port)
        detail = f" (pid {owner[0]}: {' '.join(owner[1].split())[:120]})" if owner else ""
        raise InfraError(f"port {port} already in use by another process{detail}; needed by {what}")


class ManagedProcess:
    """One server process kept under `run_dir/<name>/` with a pid file and a log file."""

    name: str = "process"
    ready_poll_s: float = 0.25

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir).resolve()
        self.dir = self.run_dir / self.name
        self.started_in_s: float | None = None
        self.adopted = False
        self._popen: subprocess.Popen[bytes] | None = None

    # -- to be provided by subclasses -------------------------------------------------------
    def _command(self) -> list[str]:
        raise NotImplementedError

    def _marker(self) -> str:
        """A string that must appear in our process's command line (guards against PID reuse)."""
        raise NotImplementedError

    def _ports(self) -> list[int]:
        return []

    def _prepare(self) -> None:
        """Install, configure or format before the process is spawned."""

    def _probe_ready(self) -> bool:
        """One readiness probe; True when the server answers like a real client expects."""
        raise NotImplementedError

    def _env(self) -> dict[str, str] | None:
        return None

    def ready(self) -> bool:
        """One readiness probe; any error counts as not ready."""
        try:
            return self._probe_ready()
        except Exception:
            return False

    def _cwd(self) -> Path:
        return self.dir

    def _extra_logs(self) -> list[Path]:
        return []

    # -- files ------------------------------------------------------------------------------
    @property
    def pid_file(self) -> Path:
        return self.dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.dir / f"{self.name}.out.log"

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    def _read_pid_file(self) -> tuple[int, int | None] | None:
        try:
            parts = self.pid_file.read_text().split()
            return int(parts[0]), (int(parts[1]) if len(parts) > 1 else None)
        except (OSError, ValueError, IndexError):
            return None

    # -- status -----------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """PID of our running process, or None (stale pid files and reused PIDs are ignored)."""
        entry = self._read_pid_file()
        if entry is None:
            return None
        pid, ticks = entry
        if self._popen is not None and self._popen.pid == pid:
            # Our own unreaped child cannot be a reused PID; and right after exec its
            # /proc/<pid>/cmdline may still read empty, so do not judge it by the marker.
            return pid if self._popen.poll() is None else None
        if not is_alive(pid):
            return None
        if ticks is not None and proc_start_ticks(pid) != ticks:
            return None
        if self._marker() not in proc_cmdline(pid):
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid is not None

    def rss_mb(self) -> float | None:
        """Resident memory of the server process in MiB (VmRSS), None if not running."""
        pid = self.pid
        return rss_mb_of(pid) if pid is not None else None

    def state(self) -> dict[str, object]:
        """What the last start() recorded (urls, ports, startup time), {} if nothing."""
        try:
            data = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_state(self, **extra: object) -> None:
        data: dict[str, object] = {
            "pid": self.pid,
            "started_in_s": self.started_in_s,
            "started_at": time.time(),
        }
        data.update(extra)
        self.state_file.write_text(json.dumps(data, indent=2) + "\n")

    def describe(self) -> dict[str, object]:
        """Extra fields for state.json and `aduan-dev status`."""
        return {}

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in [self.log_file, *self._extra_logs()]:
            text = tail(path, lines)
            if text.strip():
                parts.append(f"--- {path} (last {lines} lines) ---\n{text}")
        return "\n".join(parts) or f"(no log output in {self.dir})"

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> None:
        """Start the server in its own process group and wait (bounded) until it is ready."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.is_running():
            self._wait_ready(timeout)
            self.adopted = True
            recorded = self.state().get("started_in_s")
            self.started_in_s = float(recorded) if isinstance(recorded, int | float) else None
            return
        self.adopted = False
        self.pid_file.unlink(missing_ok=True)
        self._prepare()
        for port in self._ports():
            check_port_free(port, self.name)
        began = time.monotonic()
        self._spawn()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.kill()
            raise
        self.started_in_s = round(time.monotonic() - began, 2)
        self._write_state(**self.describe())

    def _spawn(self) -> None:
        with self.log_file.open("ab") as out:
            out.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting\n".encode())
            out.flush()
            try:
                self._popen = subprocess.Popen(
                    self._command(),
                    cwd=self._cwd(),
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise InfraError(f"cannot start {self.name}: {exc}") from exc
        pid = self._popen.pid
        self.pid_file.write_text(f"{pid} {proc_start_ticks(pid) or ''}\n")

    def _wait_ready(self, timeout: float) -> None:
        """Probe until ready; fail fast with the log tail if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if not self.is_running():
                raise InfraError(f"{self.name} {self.exit_text()}; log tail:\n{self.log_tail()}")
            if time.monotonic() >= deadline:
                raise InfraError(
                    f"{self.name} not ready within {timeout:.0f}s; log tail:\n{self.log_tail()}"
                )
            time.sleep(self.ready_poll_s)

    def exit_text(self) -> str:
        code = self._popen.poll() if self._popen is not None else None
        return "exited during startup" + (f" with status {code}" if code is not None else "")

    @staticmethod
    def _signal_group(pgid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)

    def _wait_gone(self, pgid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._popen is not None:
                self._popen.poll()
            if not is_alive(pgid) and not group_members(pgid):
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the process group, SIGKILL it after `timeout`; removes the pid file."""
        pid = self.pid
        if pid is not None:
            self._signal_group(pid, signal.SIGTERM)
            if not self._wait_gone(pid, timeout):
                log(f"{self.name} did not stop within {timeout:.0f}s: sending SIGKILL")
                self._signal_group(pid, signal.SIGKILL)
                self._wait_gone(pid, 10)
        self._reap()
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL the process group (simulates a crash); data is kept."""
        pid = self.pid
        if pid is not None:
            self._signal_group(pid, signal.SIGKILL)
            self._wait_gone(pid, 10)
        self._reap()
        self.pid_file.unlink(missing_ok=True)

    def _reap(self) -> None:
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=5)
            self._popen = None
