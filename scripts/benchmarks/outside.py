"""The providers the notifier sends to (SMS gateway, WhatsApp, JAKI push, e-mail…), stood in by
aduan_testkit's recording servers in a process of their own, so their CPU is neither the
platform's nor the load generator's (and does not hold the generator's GIL).

Without them the notifier of a bench stack would send every citizen's message to a closed port
and retry it, for ever: not what a city sees.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: The stand-ins take any rate, so the notifier is paced by its work, not by a provider's limit
#: (the fault test does the same). It sends with its own defaults (32 at once, steps of 50), as
#: a city runs it: at 100 reports a second it falls behind (deliveries wait seconds) and catches
#: up afterwards; notifications are not on the report's path.
RATE_LIMITS = dict.fromkeys(
    ("sms", "whatsapp", "x_dm", "meta", "email", "lapor", "jaki", "unit_webhook"), 500.0
)


@dataclass(frozen=True)
class Providers:
    env: dict[str, str]  # the notifier's `NOTIFIER_*` settings pointing at the stand-ins
    pid: int  # the stand-ins' process (its CPU is shown apart from the platform's)


@contextmanager
def outside_world() -> Iterator[Providers]:
    """Start the stand-ins in a child process; yield where they are; stop them on the way out."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.outside"],
        cwd=Path(__file__).resolve().parents[1],  # scripts/, where `benchmarks` is a package
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the providers' stand-ins did not start (exit {proc.wait()})")
        env: dict[str, str] = json.loads(line)
        env["NOTIFIER_RATE_LIMITS"] = json.dumps(RATE_LIMITS)
        yield Providers(env, proc.pid)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the child's cue to stop
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _serve() -> None:
    import logging
    import warnings

    from aduan_devstack.infra import free_port
    from aduan_testkit.outside import OutsideWorld

    # loopback only: aiosmtpd's notices about AUTH without TLS are not news here
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    with OutsideWorld.running(free_port()) as world:
        print(json.dumps(world.notifier_env()), flush=True)
        sys.stdin.read()  # until the bench closes our stdin (or exits)


if __name__ == "__main__":
    _serve()
