"""Chromium (Debian package) for the browser tests; Playwright drives it, never downloads one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from aduan_devstack.process import InfraError, log

CHROMIUM = Path("/usr/bin/chromium")
#: The flags the browser tests launch Chromium with (INFRA.md): headless, as root, offline.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def ensure_chromium(binary: Path = CHROMIUM) -> Path:
    """The Chromium binary; installs Debian's `chromium` with apt-get when it is missing.

    Raises InfraError saying what to do when it is missing and cannot be installed here."""
    if binary.is_file():
        return binary
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise InfraError(
            f"{binary} not found and apt-get cannot run here (needs root on Debian): install "
            "the Debian package chromium (sudo apt-get update && sudo apt-get install -y "
            "chromium); the browser tests fail without it"
        )
    log("installing the Debian package chromium (apt-get) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in ([apt, "update", "-q"], [apt, "install", "-y", "-q", "chromium"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            raise InfraError(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-1500:]}")
    if not binary.is_file():
        raise InfraError(f"apt-get install chromium succeeded but {binary} does not exist")
    return binary
