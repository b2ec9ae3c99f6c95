"""`aduan simulate`: realistic traffic on a running platform, with a progress bar and a summary.

Exit codes: 0 every report accepted; 1 some refused (or a handled case did not reach `done`);
2 the platform is unreachable or the arguments are wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from aduan_simulator.config import Credentials, Shares, SimConfig
from aduan_simulator.mix import CHANNEL_MIX
from aduan_simulator.simulator import PlatformUnreachable, RunResult, Simulator

DEFAULT_ENV = Path("config/dev.env")


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {value!r}")
    return host, int(port)


def _mix(value: str) -> dict[str, float]:
    """`jaki=0.5,twitter=0.5`: a channel mix on the command line."""
    mix: dict[str, float] = {}
    for part in value.split(","):
        name, _, weight = part.partition("=")
        try:
            mix[name.strip()] = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected CHANNEL=WEIGHT, not {part!r}") from None
    unknown = set(mix) - set(CHANNEL_MIX)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown channels: {', '.join(sorted(unknown))}")
    return mix


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aduan", description="Aduan's command-line tools.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "simulate",
        help="send realistic reports over the 13 channels to a running platform",
        description="Realistic reports across the 13 channels in Jakarta's proportions, "
        "open-loop at --rate per second; with --act, officers handle a share of them.",
    )
    s.add_argument("--rate", type=float, default=10.0, help="reports per second (default 10)")
    s.add_argument("--count", type=int, default=800, help="reports to send (default 800)")
    s.add_argument(
        "--duration", type=float, default=None,
        help="spread --count over this many seconds (sets the rate: count / duration)",
    )  # fmt: skip
    s.add_argument("--act", action="store_true", help="officers accept, complete and approve")
    s.add_argument(
        "--act-share", type=float, default=Shares.act,
        help=f"with --act: share of reports handled (default {Shares.act}; the rest wait)",
    )  # fmt: skip
    s.add_argument("--seed", type=int, default=None, help="the same seed, the same traffic")
    s.add_argument("--intake", default="http://127.0.0.1:8001", help="intake's base URL")
    s.add_argument("--disposition", default="http://127.0.0.1:8003", help="disposition's URL")
    s.add_argument(
        "--smtp", type=_host_port, default=("127.0.0.1", 2525), help="intake's SMTP HOST:PORT"
    )
    s.add_argument(
        "--env", type=Path, default=DEFAULT_ENV,
        help="the platform's credentials (dotenv; the environment wins; default config/dev.env)",
    )  # fmt: skip
    s.add_argument(
        "--mix", type=_mix, default=None,
        help="channel weights instead of Jakarta's, e.g. jaki=9,twitter=1",
    )  # fmt: skip
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def summary(result: RunResult, acting: bool) -> str:
    """The end-of-run table: per channel, accepted/refused, latency, acted cases."""
    lines = [f"{'channel':<14}{'sent':>6}{'accepted':>10}{'refused':>9}"]
    for channel, (n, ok) in result.per_channel().items():
        lines.append(f"{channel:<14}{n:>6}{ok:>10}{n - ok:>9}")
    total, ok = len(result.sent), len(result.accepted)
    lines.append(f"{'total':<14}{total:>6}{ok:>10}{total - ok:>9}")
    lines.append(
        f"sent in {result.sending_s:.1f} s ({result.offered_rate:.1f}/s), the last answer after "
        f"{result.answered_s:.1f} s; intake answered in p50 {result.latency(0.5) * 1000:.0f} ms, "
        f"p99 {result.latency(0.99) * 1000:.0f} ms"
        + (f"; {result.late} sends waited for a free slot" if result.late else "")
    )
    retried = sum(s.retries for s in result.sent)
    if retried:
        lines.append(f"retried after 429/503: {retried}")
    if acting:
        planned = [s for s in result.accepted if s.act]
        states = ", ".join(f"{k} {v}" for k, v in sorted(result.acted.items())) or "none"
        unhandled = ok - len(planned)
        lines.append(
            f"cases acted on: {len(planned)} ({states}); left unhandled: {unhandled}; "
            f"all done after {result.duration_s:.1f} s"
        )
        for s in [s for s in planned if s.act_error][:5]:
            lines.append(f"  not done: {s.report_id}: {s.act_error}")
    for s in result.refused[:10]:
        lines.append(f"  refused: {s.channel} {s.external_id}: {s.status or '-'} {s.error}")
    return "\n".join(lines)


def simulate(args: argparse.Namespace) -> int:
    if args.count < 0 or (args.duration is None and args.rate <= 0):
        print("aduan simulate: --count must be ≥ 0 and --rate > 0", file=sys.stderr)
        return 2
    rate = args.rate
    if args.duration is not None:
        if args.duration <= 0:
            print("aduan simulate: --duration must be > 0", file=sys.stderr)
            return 2
        rate = max(args.count, 1) / args.duration
    try:
        credentials = Credentials.from_file(args.env)
    except (OSError, ValueError) as exc:
        print(f"aduan simulate: {exc}", file=sys.stderr)
        return 2
    config = SimConfig(
        credentials,
        intake_url=args.intake,
        disposition_url=args.disposition,
        smtp=args.smtp,
        seed=args.seed,
        act=args.act,
        shares=replace(Shares(), act=args.act_share),
    )
    if args.mix:
        config = replace(config, channel_mix=args.mix)
    print(f"preparing {args.count} reports ({rate:g}/s) ...", file=sys.stderr)
    simulator = Simulator(config)
    bar = tqdm(total=args.count, unit="report", disable=args.no_progress, file=sys.stderr)

    def tick(sent: object) -> None:
        bar.update(1)

    try:
        result = asyncio.run(simulator.run(args.count, rate, on_sent=tick))
    except PlatformUnreachable as exc:
        bar.close()
        print(f"aduan simulate: error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    print(summary(result, args.act))
    not_done = [s for s in result.accepted if s.act and s.final_state != "done"]
    return 1 if result.refused or not_done else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "simulate":
        try:
            return simulate(args)
        except KeyboardInterrupt:
            return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
