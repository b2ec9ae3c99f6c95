"""Aduan's traffic simulator: realistic reports on the 13 channels, officers acting on them.

The library API the CLI, the benchmark and the fault tests share:

    from aduan_simulator import Credentials, SimConfig, Simulator
    result = await Simulator(SimConfig(Credentials.from_file(Path("config/dev.env")))).run(800, 10)
    for sent in result.accepted: sent.report_id, sent.tracking_code, sent.channel, sent.external_id
"""

from aduan_simulator.config import Credentials, Shares, SimConfig
from aduan_simulator.mix import CATEGORY_MIX, CHANNEL_MIX
from aduan_simulator.simulator import PlatformUnreachable, RunResult, Sent, Simulator

__all__ = [
    "CATEGORY_MIX",
    "CHANNEL_MIX",
    "Credentials",
    "PlatformUnreachable",
    "RunResult",
    "Sent",
    "Shares",
    "SimConfig",
    "Simulator",
]
