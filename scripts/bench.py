"""Aduan benchmarks (geo, db, e2e, intake, public, faults): figures and ratios side by side."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

SECTIONS = ("geo", "db", "e2e", "intake", "http", "public", "faults")


def _terminate(signum: int, _frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM must not cut the cleanup short
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C, so every started process is stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N: a smoke run (~1-2 min)")
    parser.add_argument("--only", choices=SECTIONS, help="run one section only")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the `benchmarks` folder
    from benchmarks import db, e2e, faults, geo, http_client, intake, public

    runners = {
        "geo": geo.main,
        "db": db.main,
        "e2e": e2e.main,
        "intake": intake.main,
        "http": http_client.main,
        "public": public.main,
        "faults": faults.main,
    }
    signal.signal(signal.SIGTERM, _terminate)
    began = time.monotonic()
    print(
        f"Aduan benchmarks{' (quick)' if args.quick else ''} — {time.strftime('%Y-%m-%d %H:%M')}"
        f", {Path('/proc/cpuinfo').read_text().count('processor')} CPUs; the machine is shared"
        " and noisy: compare figures within this run only"
    )
    try:
        for name in SECTIONS:
            if args.only in (None, name):
                runners[name](args.quick)
    except KeyboardInterrupt:
        print("\ninterrupted: everything started was stopped", file=sys.stderr)
        return 130
    print(f"\ntotal run time: {time.monotonic() - began:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
