"""Where a service's CPU goes: py-spy samples of its process, summed by Aduan function and by the
library the sample was in."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import table

PY_SPY = Path(sys.executable).parent / "py-spy"  # a dev dependency (pyproject.toml)
RATE_HZ = 100
#: Leaf frames where the event loop or a worker thread waits: not CPU. Samples whose leaf is the
#: loop's own run method (no Python frame below it: C code of the loop, or waiting) are counted
#: apart.
IDLE_LEAVES = ("select (selectors", "poll (selectors", "Condition.wait", "_worker (concurrent")
LOOP_LEAVES = ("BaseEventLoop.run_until_complete", "BaseEventLoop.run_forever", "Runner.run")


@dataclass
class Profile:
    samples: int  # busy samples of the main thread in Python code
    loop: int  # samples inside the event loop's own (C) code: uvloop's I/O, or waiting
    by_function: Counter[str]  # innermost Aduan function (inclusive of what it called)
    by_library: Counter[str]  # package of the leaf frame (where the CPU was spent)


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    """Sample `pid` for `seconds` in the background (py-spy, without stopping the process)."""
    command = [str(PY_SPY), "record", "--nonblocking", "-r", str(RATE_HZ), "-d"]
    command += [str(max(1, round(seconds))), "-f", "raw", "-o", str(out), "-p", str(pid)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read(path: Path) -> Profile:
    """Sum py-spy's raw (collapsed) stacks: `frame;frame;… count` per line, root first."""
    by_function: Counter[str] = Counter()
    by_library: Counter[str] = Counter()
    samples = loop = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not stack or not count.isdigit() or frames[-1].startswith(IDLE_LEAVES):
            continue
        n = int(count)
        if frames[-1].startswith(LOOP_LEAVES):
            loop += n
            continue
        samples += n
        own = [f for f in frames if "aduan_" in f]
        by_function[_short(own[-1]) if own else "(event loop, outside Aduan code)"] += n
        by_library[_library(frames[-1])] += n
    return Profile(samples, loop, by_function, by_library)


def _short(frame: str) -> str:
    """'Name (aduan_x/mod.py:12)' → 'Name (aduan_x/mod.py)': lines of a function summed."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def _library(frame: str) -> str:
    where = frame.partition(" (")[2].rstrip(")")
    top = where.split("/", 1)[0].split(".", 1)[0] if "/" in where else where.rsplit(":", 1)[0]
    return top or "?"


def print_profile(name: str, profile: Profile, seconds: float, top: int = 12) -> None:
    if not profile.samples:
        print(f"\nprofile of {name}: no samples (py-spy could not attach?)")
        return
    busy = profile.samples / (RATE_HZ * seconds) * 100
    rows = [[f, n / profile.samples * 100] for f, n in profile.by_function.most_common(top)]
    table(
        f"profile of {name} ({profile.samples:,} samples in Python code at {RATE_HZ} Hz, "
        f"{busy:.0f}% of {seconds:.0f}s; {profile.loop:,} more in the event loop's own code or "
        "waiting): innermost Aduan function, % of the Python samples",
        ["function (file)", "%"],
        rows,
    )
    rows = [[lib, n / profile.samples * 100] for lib, n in profile.by_library.most_common(top)]
    table(f"profile of {name}: where the CPU was spent, by library", ["library", "%"], rows)
