"""Where things live: the download/build cache, the repository root and the run directory."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/aduan` (default `~/.cache/aduan`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aduan"


def find_repo_root(start: Path | None = None) -> Path | None:
    """The nearest directory upward from `start` (cwd) holding both `Makefile` and `services/`."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Makefile").is_file() and (candidate / "services").is_dir():
            return candidate
    return None


def default_run_dir() -> Path:
    """`$ADUAN_RUN_DIR`, else `<repo root>/.run`, else `./.run`."""
    env = os.environ.get("ADUAN_RUN_DIR")
    if env:
        return Path(env).resolve()
    return (find_repo_root() or Path.cwd()).resolve() / ".run"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (serialises concurrent setups of the same cache entry)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
