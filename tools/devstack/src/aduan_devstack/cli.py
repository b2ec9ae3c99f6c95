"""`aduan-dev`: set up, start, stop and inspect the local Aduan development stack."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from aduan_devstack.browser import ensure_chromium
from aduan_devstack.helm import ensure_helm
from aduan_devstack.infra import INFRA_NAMES, InfraError, infra_from_env, setup_all
from aduan_devstack.npm import CHARTJS, ensure_npm_package
from aduan_devstack.paths import default_run_dir
from aduan_devstack.platform import run_platform, service_procs, start_infra, stop_all
from aduan_devstack.process import ManagedProcess, log


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aduan-dev",
        description="Local Aduan stack: Apache Kafka, SecantusDB (MongoDB wire), Prometheus "
        "and the six services, as plain local processes.",
    )
    parser.add_argument(
        "--run-dir", type=Path, default=None,
        help="data, logs and pid files (default: $ADUAN_RUN_DIR or <repo root>/.run)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    setup = sub.add_parser(
        "setup",
        help="fetch/build/cache Kafka jars, SecantusDB, Prometheus, Chromium, Helm, Chart.js",
    )
    setup.add_argument(
        "--retry-rs",
        action="store_true",
        help="retry building secantusd-rs after an earlier failure",
    )
    setup.add_argument(
        "--with-py",
        action="store_true",
        help="also install the Python SecantusDB server (for comparisons)",
    )
    up = sub.add_parser("up", help="start infrastructure in the background")
    up.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"any of {', '.join(INFRA_NAMES)} (default: all)",
    )
    sub.add_parser("down", help="stop everything the run dir's pid files name")
    sub.add_parser("status", help="what is running, where, and how big")
    run = sub.add_parser("run", help="infrastructure + topics + the six services")
    run.add_argument("--detach", action="store_true", help="return once everything is ready")
    run.add_argument(
        "--timeout",
        type=float,
        default=120,
        help="seconds to wait for the services' /readyz (default 120)",
    )
    return parser


def cmd_setup(args: argparse.Namespace) -> int:
    began = time.monotonic()
    done = setup_all(retry_rs=args.retry_rs, with_py=args.with_py)
    done["chromium"] = f"chromium at {ensure_chromium()} (for the browser tests)"
    done["helm"] = f"helm at {ensure_helm()} (for the chart tests, tests/deploy)"
    done["chart.js"] = f"{CHARTJS.name} {CHARTJS.version} at {ensure_npm_package(CHARTJS)}"
    for what, where in done.items():
        print(f"{what:<12} {where}")
    log(f"setup done in {time.monotonic() - began:.1f}s")
    return 0


def cmd_up(args: argparse.Namespace, run_dir: Path) -> int:
    unknown = [name for name in args.names if name not in INFRA_NAMES]
    if unknown:
        raise InfraError(f"unknown name {unknown[0]!r}: choose from {', '.join(INFRA_NAMES)}")
    start_infra(run_dir, list(dict.fromkeys(args.names)) or list(INFRA_NAMES))
    return 0


def _status_row(proc: ManagedProcess) -> str:
    pid = proc.pid
    state = proc.state()
    where = str(state.get("bootstrap") or state.get("url") or "")
    if state.get("server_kind"):
        where += f" ({state['server_kind']})"
    if pid is None:
        return f"{proc.name:<12} stopped"
    rss = proc.rss_mb()
    return f"{proc.name:<12} running  pid {pid:<8} RSS {rss:>7} MB  {where}"


def cmd_status(run_dir: Path) -> int:
    print(f"run dir: {run_dir}")
    for proc in infra_from_env(run_dir).values():
        print(_status_row(proc))
    for service in service_procs(run_dir):
        if service.pid is not None or service.pid_file.exists():
            print(_status_row(service))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run_dir = (args.run_dir or default_run_dir()).resolve()
    try:
        if args.command == "setup":
            return cmd_setup(args)
        if args.command == "up":
            return cmd_up(args, run_dir)
        if args.command == "down":
            stopped = stop_all(run_dir)
            print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
            return 0
        if args.command == "status":
            return cmd_status(run_dir)
        if args.command == "run":
            return run_platform(run_dir, detach=args.detach, timeout=args.timeout)
    except InfraError as exc:
        print(f"aduan-dev: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
