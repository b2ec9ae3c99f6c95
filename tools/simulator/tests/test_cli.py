"""The command line: a clear error when the platform is down, the summary's figures."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aduan_simulator.cli import main, summary
from aduan_simulator.simulator import RunResult, Sent

REPO = Path(__file__).resolve().parents[3]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_intake_is_a_clear_error_and_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    argv = ["simulate", "--count", "3", "--intake", url, "--no-progress"]
    code = main([*argv, "--env", str(REPO / "config" / "dev.env")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"intake is not reachable at {url}" in err and "make run" in err


def test_a_missing_env_file_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--env", "/nonexistent/dev.env", "--count", "1"]) == 2
    assert "no such env file" in capsys.readouterr().err


def test_the_summary_counts_per_channel_and_gives_latency_quantiles() -> None:
    sent = [
        Sent(i, "jaki", "Jalan", f"e{i}", "gps", None, True, 202, latency_s=i / 100)
        for i in range(1, 100)
    ]
    sent.append(Sent(100, "email", "Sampah", "m", "named", None, status=550, latency_s=1.0))
    for i, s in enumerate(sent):
        s.sent_at, s.answered_at = i / 10, i / 10 + s.latency_s
    result = RunResult(sent, duration_s=10.0)
    text = summary(result, acting=False)
    assert result.latency(0.5) == pytest.approx(0.50)
    assert result.latency(0.99) == pytest.approx(0.99)
    assert "jaki              99        99        0" in text
    assert "email              1         0        1" in text
    assert "total            100        99        1" in text
    assert "p50 500 ms, p99 990 ms" in text and "refused: email m: 550" in text
    assert "sent in 9.9 s (10.0/s), the last answer after 10.9 s" in text
