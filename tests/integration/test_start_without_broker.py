"""A service started before its broker waits for it (KAFKA_STARTUP_TIMEOUT_S), then gets ready.

Services and Kafka start in any order (Kubernetes, docker compose, `make run`): geo-router is
started against a Kafka that is not running yet, must still be alive seconds later, and must turn
ready once that Kafka comes up on the port it was given.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_devstack.infra import InfraError, Kafka, ensure_topics, free_ports
from aduan_devstack.services import SERVICES, ServiceProcess, service_env, wait_all_ready
from aduan_shared.events import ALL_DLQ_TOPICS, ALL_TOPICS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
JAKARTA = REPO.parent / "shared" / "data" / "jakarta"
JAKARTA_CONFIG = REPO / "config" / "cities" / "jakarta"
#: How long the service must survive once it met the missing broker (retries after 0.5, 1, 2, 4 s).
SURVIVE_S = 8


@pytest.fixture
def late_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kafka]:
    """A Kafka on free ports, not started: the test starts it; stopped on the way out."""
    kafka = Kafka(tmp_path_factory.mktemp("late-kafka"), *free_ports(2))
    try:
        yield kafka
    finally:
        kafka.stop()


def geo_router(
    run_dir: Path, kafka_bootstrap: str, mongo_url: str, avoid: tuple[int, ...] = ()
) -> ServiceProcess:
    spec = next(s for s in SERVICES if s.name == "geo-router")
    port = free_ports(1, avoid=avoid)[0]  # not the late broker's ports, unbound until it starts
    env = service_env(REPO, kafka_bootstrap, mongo_url) | {
        "ADUAN_CITY_DIR": str(JAKARTA_CONFIG),
        "ADUAN_BOUNDARIES_DIR": str(JAKARTA),
        "LOG_FORMAT": "json",
        spec.port_var: str(port),
        f"{spec.env_prefix}MONGODB_DATABASE": f"it_{uuid.uuid4().hex[:8]}_{spec.module}",
    }
    return ServiceProcess(run_dir, spec, env, REPO)


def log(service: ServiceProcess) -> str:
    return service.log_file.read_text(errors="replace") if service.log_file.exists() else ""


def wait_alive(
    service: ServiceProcess, kafka: Kafka, until: Callable[[], bool], timeout: float = 180
) -> None:
    """Poll until `until()`, failing as soon as the service exits (or after `timeout`)."""
    deadline = time.monotonic() + timeout
    while not until():
        assert service.is_running(), (
            f"geo-router {service.exit_text()} with no broker at {kafka.bootstrap}; "
            f"log tail:\n{service.log_tail(40)}"
        )
        assert time.monotonic() < deadline, f"timed out; log tail:\n{service.log_tail(40)}"
        time.sleep(0.5)
    assert service.is_running(), service.log_tail(40)


def test_a_service_started_before_kafka_waits_for_it_and_gets_ready(
    servers: Any, late_kafka: Kafka, tmp_path_factory: pytest.TempPathFactory
) -> None:
    service = geo_router(
        tmp_path_factory.mktemp("early-service"),
        late_kafka.bootstrap,
        servers.mongo_url,
        avoid=(late_kafka.port, late_kafka.controller_port),
    )
    try:
        service.spawn()
        # Start-up (the city's boundaries) takes a while on a busy machine: first wait until
        # the service met the missing broker, then give it several more retries to survive.
        wait_alive(service, late_kafka, until=lambda: "broker_start_retry" in log(service))
        met_at = time.monotonic()
        wait_alive(service, late_kafka, until=lambda: time.monotonic() > met_at + SURVIVE_S)
        assert log(service).count("broker_start_retry") >= 3, service.log_tail(40)
        with pytest.raises(httpx.TransportError):  # not serving yet: still starting up
            httpx.get(f"{service.url}/readyz", timeout=2)

        try:
            late_kafka.start(timeout=180)
            ensure_topics(late_kafka.bootstrap, [*ALL_TOPICS, *ALL_DLQ_TOPICS])
        except InfraError as exc:
            pytest.fail(f"this test needs a local Kafka and none could be started: {exc}")
        try:
            wait_all_ready([service], timeout=180)
        except InfraError as exc:
            pytest.fail(f"geo-router did not become ready once Kafka was up: {exc}")
        assert httpx.get(f"{service.url}/readyz", timeout=10).status_code == 200
        assert service.is_running()
        assert "broker_started" in log(service)
    finally:
        service.stop()
