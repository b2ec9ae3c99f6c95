"""Faults under load: tests/integration/test_faults.py with 5,000 reports (1,000 with --quick).

The same test `make test` runs (each service killed -9 and restarted, the broker and the database
restarted, then every acknowledged report exactly one case, notifications at most once, analytics
and the SLA ledger consistent, a poison message on every topic in its DLQ), on a broker, a database
and six services of its own; only the number of reports and the rate differ. Its figures
(acknowledged, cases, notifications, DLQ, durations) are printed as the test prints them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from benchmarks.common import REPO, heading, note

TEST = "tests/integration/test_faults.py"


def main(quick: bool) -> None:
    reports, rate = (1_000, 10) if quick else (5_000, 25)
    heading(f"faults: {reports} reports at {rate}/s while services, broker and database fail")
    env = {
        **os.environ,
        "ADUAN_FAULT_REPORTS": str(reports),
        "ADUAN_FAULT_RATE": str(rate),
    }
    for variable in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL"):  # it starts its own servers
        env.pop(variable, None)
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, *("-m", "pytest", "-p", "no:cacheprovider", "-s", "-q", TEST)],
        cwd=REPO,
        env=env,
        check=False,
    )
    verdict = "passed" if done.returncode == 0 else f"FAILED (pytest exit {done.returncode})"
    note(f"fault run {verdict} in {time.monotonic() - began:.0f}s")
