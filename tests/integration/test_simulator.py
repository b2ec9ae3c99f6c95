"""The traffic simulator on the real platform (six processes, real Kafka and database): reports
on all 13 channels in their native formats become cases at the units their place and category
name, the ones officers handle reach `done`, the others wait; `aduan simulate` exits 0."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from aduan_shared.cityconfig import load_city, resolve_target
from aduan_simulator import CHANNEL_MIX, Credentials, Shares, SimConfig, Simulator
from aduan_simulator.cli import main

REPO = Path(__file__).resolve().parents[2]
CITY = REPO / "config" / "cities" / "jakarta"
ANY_OPEN = {"coordination", "waiting"}
#: Channels whose payload names the category (the others are classified from their text).
GIVEN_CATEGORY = {
    "jaki", "balai_warga", "balai_kota", "inspektorat", "walikota", "kecamatan", "kelurahan",
    "lapor",
}  # fmt: skip


def config(platform: Any, **overrides: Any) -> SimConfig:
    return SimConfig(
        Credentials.from_env(platform.env),
        intake_url=platform.url("intake"),
        disposition_url=platform.url("disposition"),
        smtp=("127.0.0.1", platform.smtp_port),
        **overrides,
    )


def settled(platform: Any, report_id: str, states: set[str], timeout: float = 60) -> dict[str, Any]:
    """The case once its state is one of `states` (acting runs after the answer)."""
    deadline = time.monotonic() + timeout
    case = platform.case(report_id)
    while case["state"] not in states and time.monotonic() < deadline:
        time.sleep(0.25)
        case = platform.case(report_id)
    return case


async def test_forty_reports_on_all_13_channels_become_cases_where_they_belong(
    platform: Any,
) -> None:
    channels = list(CHANNEL_MIX)
    assert len(channels) == 13
    shares = Shares(act=0.25, schedule=0.5, photo=0.4, unlocated=0.3)
    simulator = Simulator(config(platform, seed=3, act=True, shares=shares))
    result = await simulator.run(40, rate=8, channels=channels)

    assert [s for s in result.refused] == []
    # open loop: report i left at i / rate, whatever the answers to the earlier ones
    assert result.offered_rate == pytest.approx(8, rel=0.1)
    assert all(abs(s.sent_at - (s.seq - 1) / 8) < 0.5 for s in result.sent)
    assert {s.channel for s in result.accepted} == set(channels)
    assert len({s.report_id for s in result.accepted}) == 40
    assert {s.location_mode for s in result.accepted} == {"gps", "named", "link", "none"}
    acted = [s for s in result.accepted if s.act]
    assert len(acted) >= 4 and any(s.act == "schedule" for s in acted)
    # an unplaced report is assigned by the CRM admin first, then handled like the others
    assert any(s.location_mode == "none" for s in acted)
    assert [(s.report_id, s.act_error) for s in acted if s.final_state != "done"] == []
    assert result.acted == {"done": len(acted)}

    routes = {c.name: c.route for c in load_city(CITY).category_names()}
    for sent in result.accepted:
        assert sent.report_id and sent.tracking_code
        # unplaced: in the admin pool (coordination), unless a photo's EXIF GPS placed it
        want = {"done"} if sent.act else {"waiting"} if sent.kelurahan_kode else ANY_OPEN
        case = settled(platform, sent.report_id, want)
        what = (sent.channel, sent.location_mode, sent.external_id)
        assert case["channel"] == sent.channel, what
        assert case["tracking_code"] == sent.tracking_code, what
        assert case["state"] in want, (what, case["state"])
        if sent.kelurahan_kode is None:
            assert sent.act or case["state"] == "coordination" or case["location"], what
            continue
        assert case["kelurahan"]["kode"] == sent.kelurahan_kode, (what, case["kelurahan"])
        if sent.channel in GIVEN_CATEGORY:
            assert case["category"] == sent.category, what
        # text channels: the geo-router classifies the words, place names included ("Pasar
        # Minggu" reads as trade); the unit follows the case's category at the sampled place
        assert case["unit_id"] == resolve_target(routes[case["category"]], sent.kelurahan_kode)


def test_the_command_line_runs_at_jakartas_mix_and_exits_0(
    platform: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "simulate",
        *("--count", "12", "--duration", "2", "--seed", "7", "--act", "--act-share", "0.5"),
        *("--intake", platform.url("intake"), "--disposition", platform.url("disposition")),
        *("--smtp", f"127.0.0.1:{platform.smtp_port}", "--env", str(REPO / "config" / "dev.env")),
    ]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "total             12        12        0" in out.out
    assert "cases acted on:" in out.out and "p99" in out.out
    assert "12/12" in out.err  # the progress bar
