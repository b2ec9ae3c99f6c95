"""Shared helpers for the benchmarks: tables, progress lines, percentiles and /proc readings."""

from __future__ import annotations

import csv
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CITY_DIR = REPO.parent / "shared" / "data" / "jakarta"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

Cell = str | int | float | None
Point = tuple[float, float]  # (lat, lon)


def representative_points() -> tuple[list[Point], list[str]]:
    """The 267 representative points of kelurahan_codes.csv and their kode."""
    with (CITY_DIR / "kelurahan_codes.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(float(r["lat"]), float(r["lon"])) for r in rows], [r["kode"] for r in rows]


def heading(text: str) -> None:
    """A section heading on stdout."""
    print(f"\n{'=' * 100}\n{text}\n{'=' * 100}", flush=True)


def note(text: str) -> None:
    print(text, flush=True)


def fmt(value: Cell, digits: int = 1) -> str:
    """Numbers with thousands separators; None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.{digits}f}" if abs(value) >= 1 or value == 0 else f"{value:.3g}"
    return str(value)


def ratio(a: float | None, b: float | None) -> str:
    """`a / b` as '12.3×', or a dash when either side is missing."""
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:,.1f}×" if a / b >= 1 else f"{a / b:.2f}×"


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """Print an aligned table: first column left-aligned, the others right-aligned."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def line(values: Sequence[str]) -> str:
        parts = [v.ljust(widths[0]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(values)]
        return "  ".join(parts).rstrip()

    print(f"\n{title}")
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
    sys.stdout.flush()


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (None for an empty sample)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


class Progress:
    """A one-line progress counter on stderr (redrawn at most 5 times a second)."""

    def __init__(self, label: str, total: int | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.began = time.monotonic()
        self._drawn = self.began
        self._tty = sys.stderr.isatty()

    def update(self, n: int = 1, extra: str = "") -> None:
        self.done += n
        now = time.monotonic()
        if now - self._drawn >= (0.2 if self._tty else 5.0):
            self._drawn = now
            self._draw(extra)

    def _draw(self, extra: str = "") -> None:
        of = f"/{self.total:,}" if self.total else ""
        text = f"  … {self.label}: {self.done:,}{of} ({time.monotonic() - self.began:.0f}s) {extra}"
        end = "\r" if self._tty else "\n"
        print(text.ljust(90)[:110], end=end, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._tty and self._drawn > self.began:
            print(" " * 110, end="\r", file=sys.stderr, flush=True)


def status(text: str) -> None:
    """A progress message on stderr (kept out of the printed results)."""
    print(f"  … {text}", file=sys.stderr, flush=True)


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads), in seconds."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else None


def memory_mb(pid: int) -> tuple[float | None, float | None]:
    """(VmRSS, VmHWM) of a process in MiB: resident now, and its peak."""
    found: dict[str, float] = {}
    try:
        for text in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = text.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    except (OSError, ValueError):
        pass
    return found.get("VmRSS"), found.get("VmHWM")


@dataclass
class CpuMeter:
    """CPU seconds used by named processes between mark() calls."""

    pids: dict[str, int]
    last: dict[str, float] = field(default_factory=dict)

    def mark(self) -> dict[str, float]:
        """CPU seconds per process since the previous mark (first call: since start)."""
        used: dict[str, float] = {}
        for name, pid in self.pids.items():
            now = cpu_seconds(pid)
            if now is None:
                continue
            used[name] = now - self.last.get(name, 0.0)
            self.last[name] = now
        return used
