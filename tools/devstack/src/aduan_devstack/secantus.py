"""Obtain a SecantusDB server: the Rust `secantusd-rs` (cargo) or the Python `secantusd-py`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from aduan_devstack.paths import cache_dir, file_lock
from aduan_devstack.process import InfraError, log
from aduan_devstack.procfs import proc_cmdline

RS_CRATE = "secantus-mdb"
RS_VERSION = "0.5.3-beta.196"
"""Pre-release pinned on purpose; every version declares rust-version 1.98 (hence the flag)."""
PY_PACKAGE = "SecantusDB"
PY_VERSION = "0.7.0b3"
"""GPL-2.0: installed into its own venv, never a dependency of the workspace."""

KIND_RS = "secantusd-rs"
KIND_PY = "secantusd-py"
ENV_FORCE = "ADUAN_MONGO_SERVER"


def cargo_home() -> Path:
    return Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")


def rs_binary() -> Path | None:
    """The installed `secantusd-rs`, if any."""
    found = shutil.which(KIND_RS)
    if found:
        return Path(found)
    candidate = cargo_home() / "bin" / KIND_RS
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def py_venv() -> Path:
    return cache_dir() / "secantus-py"


def py_binary() -> Path | None:
    candidate = py_venv() / "bin" / KIND_PY
    return candidate if candidate.is_file() else None


def rs_build_log() -> Path:
    return cache_dir() / f"secantus-rs-{RS_VERSION}.build.log"


def rs_failed_marker() -> Path:
    return cache_dir() / f"secantus-rs-{RS_VERSION}.failed"


def _cargo() -> str | None:
    found = shutil.which("cargo")
    if found:
        return found
    candidate = cargo_home() / "bin" / "cargo"
    return str(candidate) if candidate.is_file() else None


def _running_cargo_install() -> int | None:
    """PID of a `cargo install secantus-mdb` already running on this machine (anyone's)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            cmd = proc_cmdline(int(entry.name))
            if "cargo" in cmd and " install " in f" {cmd} " and RS_CRATE in cmd:
                return int(entry.name)
    return None


def build_rs(retry_failed: bool = False) -> Path | None:
    """`cargo install` the Rust server once (minutes); None if cargo is missing or fails."""
    if (binary := rs_binary()) is not None:
        return binary
    marker = rs_failed_marker()
    if marker.is_file() and not retry_failed:
        return None
    cargo = _cargo()
    if cargo is None:
        log("cargo not found: cannot build secantusd-rs, using the slower Python server")
        return None
    with file_lock(cache_dir() / ".secantus-rs.lock"):
        other = _running_cargo_install()
        if other is not None:
            log(f"waiting for the cargo install of {RS_CRATE} already running (pid {other}) ...")
            while _running_cargo_install() is not None:
                time.sleep(5)
            if (binary := rs_binary()) is not None:
                return binary
        log(
            f"building {KIND_RS} ({RS_CRATE} {RS_VERSION}) with cargo: this takes several "
            f"minutes, once; log: {rs_build_log()}"
        )
        began = time.monotonic()
        cmd = [cargo, "install", RS_CRATE, "--version", RS_VERSION, "--locked"]
        cmd.append("--ignore-rust-version")
        returncode = _cargo_with_progress(cmd, rs_build_log(), began)
        binary = rs_binary()
        if returncode != 0 or binary is None:
            marker.write_text(f"cargo install exited {returncode}; see {rs_build_log()}\n")
            log(
                f"building {KIND_RS} failed (exit {returncode}, log {rs_build_log()}): "
                "falling back to the Python server (retry: `aduan-dev setup --retry-rs`)"
            )
            return None
        marker.unlink(missing_ok=True)
        log(f"built {binary} in {time.monotonic() - began:.0f}s")
        return binary


#: Crates `cargo install secantus-mdb` compiles (measured), for the progress line's estimate.
RS_CRATES_EXPECTED = 210
PROGRESS_EVERY_S = 15.0


def _cargo_with_progress(cmd: list[str], build_log: Path, began: float) -> int:
    """Run cargo into `build_log`, printing how many crates it compiled every few seconds."""
    with build_log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        while True:
            try:
                return proc.wait(timeout=PROGRESS_EVERY_S)
            except subprocess.TimeoutExpired:
                compiled = build_log.read_bytes().count(b"Compiling ")
                log(
                    f"{KIND_RS}: {compiled}/~{RS_CRATES_EXPECTED} crates compiled, "
                    f"{time.monotonic() - began:.0f}s"
                )


def install_py() -> Path:
    """Install the Python server into its own venv under the cache (once); returns its command."""
    if (binary := py_binary()) is not None:
        return binary
    uv = shutil.which("uv")
    if uv is None:
        raise InfraError(
            "uv not found: needed to install the SecantusDB Python server (pip install uv)"
        )
    venv = py_venv()
    with file_lock(cache_dir() / ".secantus-py.lock"):
        if (binary := py_binary()) is not None:
            return binary
        log(f"installing {PY_PACKAGE}=={PY_VERSION} (GPL-2.0, separate venv) into {venv} ...")
        python = getattr(sys, "_base_executable", None) or sys.executable
        steps = [
            [uv, "venv", "--quiet", "--allow-existing", "--python", python, str(venv)],
            [uv, "pip", "install", "--quiet", "-p", str(venv / "bin" / "python"), "--pre",
             f"{PY_PACKAGE}=={PY_VERSION}"],
        ]  # fmt: skip
        for cmd in steps:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise InfraError(
                    f"installing {PY_PACKAGE} failed ({' '.join(cmd[:3])}): "
                    f"{(proc.stderr or proc.stdout).strip()[-1500:]}"
                )
        binary = py_binary()
        if binary is None:
            raise InfraError(f"{PY_PACKAGE}=={PY_VERSION} installed no {KIND_PY} in {venv}/bin")
        return binary


def forced_kind() -> str | None:
    """`ADUAN_MONGO_SERVER=rs|py` forces a server kind."""
    value = os.environ.get(ENV_FORCE, "").strip().lower()
    if value in ("", "auto"):
        return None
    if value in ("rs", "py"):
        return KIND_RS if value == "rs" else KIND_PY
    raise InfraError(f"{ENV_FORCE} must be 'rs' or 'py', not {value!r}")


def resolve_server(install: bool = True) -> tuple[str, Path | None]:
    """(kind, binary): the Rust server if present or buildable, else the Python one."""
    forced = forced_kind()
    if forced != KIND_PY:
        binary = rs_binary() or (build_rs() if install else None)
        if binary is not None:
            return KIND_RS, binary
        if forced == KIND_RS:
            raise InfraError(
                f"{ENV_FORCE}=rs but {KIND_RS} is not installed and could not be built "
                f"(cargo install {RS_CRATE} --version {RS_VERSION}; log {rs_build_log()}; "
                "retry with `aduan-dev setup --retry-rs`)"
            )
    return KIND_PY, (install_py() if install else py_binary())
