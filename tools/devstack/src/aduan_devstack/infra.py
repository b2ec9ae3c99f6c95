"""Public API: Kafka, Mongo (SecantusDB) and Prometheus as local processes, plus helpers."""

from __future__ import annotations

import os
from pathlib import Path

from aduan_devstack.kafka import Kafka, ensure_topics, ensure_topics_async
from aduan_devstack.kafka_setup import KAFKA_VERSION, ensure_kafka_libs, java_binary
from aduan_devstack.mongo import Mongo
from aduan_devstack.process import InfraError, ManagedProcess
from aduan_devstack.procfs import free_port, free_ports
from aduan_devstack.prometheus import Prometheus, ensure_prometheus
from aduan_devstack.secantus import (
    KIND_PY,
    build_rs,
    forced_kind,
    install_py,
    rs_binary,
)

__all__ = [
    "INFRA_NAMES",
    "KAFKA_VERSION",
    "InfraError",
    "Kafka",
    "ManagedProcess",
    "Mongo",
    "Prometheus",
    "ensure_topics",
    "ensure_topics_async",
    "free_port",
    "free_ports",
    "infra_from_env",
    "setup_all",
]

INFRA_NAMES = ("kafka", "mongo", "prometheus")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise InfraError(f"{name} must be a port number, not {raw!r}") from exc


def infra_from_env(run_dir: Path) -> dict[str, ManagedProcess]:
    """The three servers with ports from ADUAN_KAFKA_PORT, ADUAN_KAFKA_CONTROLLER_PORT,
    ADUAN_MONGO_PORT, ADUAN_PROMETHEUS_PORT (and heap from ADUAN_KAFKA_HEAP)."""
    return {
        "kafka": Kafka(
            run_dir,
            port=_env_int("ADUAN_KAFKA_PORT", 9092),
            controller_port=_env_int("ADUAN_KAFKA_CONTROLLER_PORT", 9093),
            heap=os.environ.get("ADUAN_KAFKA_HEAP", "512m"),
        ),
        "mongo": Mongo(run_dir, port=_env_int("ADUAN_MONGO_PORT", 27017)),
        "prometheus": Prometheus(run_dir, port=_env_int("ADUAN_PROMETHEUS_PORT", 9090)),
    }


def setup_all(retry_rs: bool = False, with_py: bool = False) -> dict[str, str]:
    """Fetch/build/cache everything the servers need; idempotent. Returns what is where."""
    done: dict[str, str] = {}
    java_binary()
    done["kafka"] = f"Kafka {KAFKA_VERSION} jars in {ensure_kafka_libs()}"
    rs = None
    if forced_kind() != KIND_PY:
        rs = rs_binary() or build_rs(retry_failed=retry_rs)
    if rs is not None:
        done["mongo"] = f"secantusd-rs at {rs}"
    if rs is None or with_py:
        done["mongo-py"] = f"secantusd-py at {install_py()}"
    done["prometheus"] = f"prometheus at {ensure_prometheus()}"
    return done
