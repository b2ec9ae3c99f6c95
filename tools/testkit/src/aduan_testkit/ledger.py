"""The SLA ledger as `aduan-sla-monitor ledger` rebuilds it from the topics (a real process)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def replay_ledger(
    bootstrap: str, month: str, as_of: str, city_dir: Path
) -> tuple[bytes, bytes]:
    """Run the replay command for `month` as of `as_of`; its (stdout, stderr) once it exited 0."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "aduan_sla_monitor", "ledger", "--month", month, "--as-of", as_of),
        env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "ADUAN_CITY_DIR": str(city_dir)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, stderr.decode()
    return stdout, stderr
