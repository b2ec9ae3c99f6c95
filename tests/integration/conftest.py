"""Real servers for the integration tests, chosen as INFRA.md says, and the six services.

Order: `KAFKA_BOOTSTRAP_SERVERS` / `MONGODB_URL` set → use them; else a Docker engine answers →
testcontainers; else the local processes `make run` uses (tools/devstack). When none can be had
the tests FAIL with the reason; they never skip.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_devstack.browser import CHROMIUM_ARGS, ensure_chromium
from aduan_devstack.infra import InfraError, Kafka, Mongo, ensure_topics, free_port, free_ports
from aduan_devstack.services import (
    SERVICES,
    ServiceProcess,
    service_env,
    wait_all_ready,
)
from aduan_shared.auth import issue_dev_token
from aduan_shared.events import ALL_DLQ_TOPICS, ALL_TOPICS
from aduan_testkit.outside import OutsideWorld
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import Error as PlaywrightError

REPO = Path(__file__).resolve().parents[2]
JAKARTA = REPO.parent / "shared" / "data" / "jakarta"
JAKARTA_CONFIG = REPO / "config" / "cities" / "jakarta"


@dataclass
class Servers:
    kafka_bootstrap: str
    mongo_url: str
    how: str
    local_kafka: Kafka | None = None  # set when the tests may kill and restart it
    local_mongo: Mongo | None = None


@dataclass
class Platform:
    servers: Servers
    urls: dict[str, str]
    env: dict[str, str]
    procs: dict[str, ServiceProcess] = field(default_factory=dict)
    smtp_port: int = 0
    #: Where the notifier delivers: SMTP and HTTP stand-ins recording every message.
    outside: OutsideWorld | None = None
    #: service name → the name of its database on `servers.mongo_url`.
    databases: dict[str, str] = field(default_factory=dict)

    def url(self, service: str, path: str = "") -> str:
        return self.urls[service] + path

    def kelurahan_point(self, name: str) -> dict[str, str]:
        """The official row of kelurahan `name`: kode, names and a point inside it (lat, lon)."""
        with (Path(self.env["ADUAN_BOUNDARIES_DIR"]) / "kelurahan_codes.csv").open() as f:
            return next(r for r in csv.DictReader(f) if r["kelurahan"] == name)

    def jaki_headers(self) -> dict[str, str]:
        """The JAKI channel's API key, as intake's JSON endpoint takes it."""
        return {"X-Api-Key": json.loads(self.env["INTAKE_API_KEYS"])["jaki"]}

    async def submit(
        self,
        client: httpx.AsyncClient,
        description: str,
        at: tuple[float, float],
        *,
        tag: str = "it",
        **extra: Any,
    ) -> tuple[str, str]:
        """POST a JAKI report (category Jalan unless `extra` says otherwise, a unique
        external_id `<tag>-…`) at `at` (lat, lon); its (report_id, tracking_code) after the 202."""
        report = {
            "channel": "jaki",
            "external_id": f"{tag}-{uuid.uuid4()}",
            "category": "Jalan",
            "description": description,
            "location": {"lat": at[0], "lon": at[1]},
            **extra,
        }
        accepted = await client.post(
            self.url("intake", "/v1/reports"), json=report, headers=self.jaki_headers()
        )
        assert accepted.status_code == 202, accepted.text
        return accepted.json()["report_id"], accepted.json()["tracking_code"]

    def admin_headers(self) -> dict[str, str]:
        token = issue_dev_token(self.env["AUTH_JWT_SECRET"], sub="admin", roles=["crm_admin"])
        return {"Authorization": f"Bearer {token}"}

    def case(self, report_id: str, timeout: float = 45) -> dict[str, Any]:
        """The case of a report as an admin sees it, once disposition has opened it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = httpx.get(
                self.url("disposition", f"/v1/cases/{report_id}"), headers=self.admin_headers()
            )
            if r.status_code == 200:
                return r.json()  # type: ignore[no-any-return]
            time.sleep(0.25)
        pytest.fail(f"case {report_id} not opened within {timeout}s")


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _start(what: str, start: Callable[[], None]) -> None:
    try:
        start()
    except InfraError as exc:
        pytest.fail(
            f"integration tests need a real {what} and none could be started: {exc}", pytrace=False
        )


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    env_kafka, env_mongo = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGODB_URL")
    with ExitStack() as stack:
        if env_kafka and env_mongo:
            yield Servers(env_kafka, env_mongo, "environment")
            return
        if _docker_answers():
            from testcontainers.kafka import KafkaContainer
            from testcontainers.mongodb import MongoDbContainer

            kc = stack.enter_context(KafkaContainer("apache/kafka:4.1.0").with_kraft())
            mc = stack.enter_context(MongoDbContainer("mongo:7"))
            yield Servers(
                env_kafka or kc.get_bootstrap_server(),
                env_mongo or mc.get_connection_url(),
                "testcontainers",
            )
            return
        run_dir = tmp_path_factory.mktemp("infra")
        kafka = None
        if not env_kafka:
            kafka = Kafka(run_dir, *free_ports(2))
            stack.callback(kafka.stop)
            _start("Kafka broker", kafka.start)
        mongo_url, mongo = env_mongo, None
        if not mongo_url:
            mongo = Mongo(run_dir, port=free_port())
            stack.callback(mongo.stop)
            _start("MongoDB-compatible server", mongo.start)
            mongo_url = mongo.url
        bootstrap = kafka.bootstrap if kafka is not None else str(env_kafka)
        yield Servers(bootstrap, mongo_url, "local processes", local_kafka=kafka, local_mongo=mongo)


@pytest.fixture(scope="session")
def platform(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The six services as separate processes on free ports, with databases of their own; the
    notifier delivers to loopback stand-ins of every channel (`Platform.outside`)."""
    with OutsideWorld.running(free_port()) as outside:
        yield from _platform(servers, tmp_path_factory, outside)


@pytest.fixture(scope="session")
def start_platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., AbstractContextManager[Platform]]:
    """`with start_platform(servers, env) as p:` a private set of the six services (and
    stand-ins) on `servers`, with `env` added to their environment, stopped on the way out: for
    a test that kills services, which must never kill the session's `platform`."""

    @contextmanager
    def start(servers: Servers, env: dict[str, str] | None = None) -> Iterator[Platform]:
        with OutsideWorld.running(free_port()) as outside:
            yield from _platform(servers, tmp_path_factory, outside, env)

    return start


def _platform(
    servers: Servers,
    tmp_path_factory: pytest.TempPathFactory,
    outside: OutsideWorld,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Platform]:
    ensure_topics(servers.kafka_bootstrap, [*ALL_TOPICS, *ALL_DLQ_TOPICS])
    assert (JAKARTA / "kelurahan.geojson").is_file(), f"Jakarta boundaries missing: {JAKARTA}"
    run_dir = tmp_path_factory.mktemp("platform")
    session = uuid.uuid4().hex[:8]
    smtp_port = 0
    base = service_env(REPO, servers.kafka_bootstrap, servers.mongo_url)
    base["ADUAN_CITY_DIR"] = str(JAKARTA_CONFIG)
    base["ADUAN_BOUNDARIES_DIR"] = str(JAKARTA)
    base["LOG_FORMAT"] = "json"
    # Tests restart the broker and the database under the platform: a consumer that stalls
    # for good is replaced after 20 s rather than a minute (aduan_shared.consumer_watch).
    base["KAFKA_CONSUMER_STALL_S"] = "20"
    base |= extra_env or {}
    procs: dict[str, ServiceProcess] = {}
    urls: dict[str, str] = {}
    databases = {spec.name: f"it_{session}_{spec.module}" for spec in SERVICES}
    ports = iter(free_ports(len(SERVICES) + 1))  # none bound until the services start
    for spec in SERVICES:
        env = base | {
            spec.port_var: str(next(ports)),
            f"{spec.env_prefix}MONGODB_DATABASE": databases[spec.name],
        }
        if spec.name == "intake":
            smtp_port = next(ports)
            env["INTAKE_SMTP_PORT"] = str(smtp_port)
        if spec.name == "notifier":  # the reporter vault lives in intake's database
            env["NOTIFIER_VAULT_DATABASE"] = f"it_{session}_aduan_intake"
            env |= outside.notifier_env()
        proc = ServiceProcess(run_dir, spec, env, REPO)
        procs[spec.name] = proc
        urls[spec.name] = proc.url
    try:
        for proc in procs.values():
            proc.spawn()
        wait_all_ready(list(procs.values()), timeout=120)
    except InfraError as exc:
        for proc in procs.values():
            proc.stop()
        pytest.fail(f"the services did not become ready: {exc}", pytrace=False)
    try:
        yield Platform(servers, urls, base, procs, smtp_port, outside, databases)
    finally:
        for proc in procs.values():
            proc.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (one per test module, as Playwright's sync API
    wants); no browser here is a failure, never a skip."""
    try:
        binary = ensure_chromium()
    except InfraError as exc:
        pytest.fail(f"the browser tests need Chromium: {exc}", pytrace=False)
    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=str(binary), args=list(CHROMIUM_ARGS))
        except PlaywrightError as exc:
            pytest.fail(f"Chromium ({binary}) did not start: {exc}", pytrace=False)
        yield chromium
        chromium.close()
