"""Building secantusd-rs: progress while cargo runs, fallback (remembered) when it fails."""

import os
from pathlib import Path

import pytest
from aduan_devstack import secantus

SUCCEEDS = """#!/bin/sh
echo run >> "$CARGO_HOME/invocations"
for crate in a b c; do echo "   Compiling $crate v1.0.0"; sleep 0.3; done
printf '#!/bin/sh\\n' > "$CARGO_HOME/bin/secantusd-rs"; chmod +x "$CARGO_HOME/bin/secantusd-rs"
"""
FAILS = """#!/bin/sh
echo run >> "$CARGO_HOME/invocations"
echo "error: rustc 1.95 is not supported"; exit 101
"""


@pytest.fixture
def fake_cargo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    home = tmp_path / "cargo"
    (home / "bin").mkdir(parents=True)
    monkeypatch.setenv("CARGO_HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", f"{home / 'bin'}:/usr/bin:/bin")
    monkeypatch.setattr(secantus, "_running_cargo_install", lambda: None)
    monkeypatch.setattr(secantus, "PROGRESS_EVERY_S", 0.2)
    (tmp_path / "cache" / "aduan").mkdir(parents=True)

    def install(script: str) -> Path:
        cargo = home / "bin" / "cargo"
        cargo.write_text(script)
        cargo.chmod(0o755)
        return home

    return install


def test_build_reports_progress_and_installs(fake_cargo, capsys) -> None:  # type: ignore[no-untyped-def]
    home = fake_cargo(SUCCEEDS)
    binary = secantus.build_rs()
    assert binary == home / "bin" / "secantusd-rs"
    assert os.access(binary, os.X_OK)
    out = capsys.readouterr()
    assert "crates compiled" in out.out + out.err
    assert secantus.rs_build_log().read_text().count("Compiling") == 3


def test_failed_build_falls_back_and_is_not_retried(fake_cargo, capsys) -> None:  # type: ignore[no-untyped-def]
    home = fake_cargo(FAILS)
    assert secantus.build_rs() is None
    assert secantus.rs_failed_marker().is_file()
    assert "falling back to the Python server" in "".join(capsys.readouterr())
    assert secantus.build_rs() is None  # remembered: cargo is not run again
    assert (home / "invocations").read_text().count("run") == 1
    assert secantus.build_rs(retry_failed=True) is None  # unless asked to retry
    assert (home / "invocations").read_text().count("run") == 2
