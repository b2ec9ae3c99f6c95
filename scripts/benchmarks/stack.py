"""Kafka, the database and the intake → geo-router → disposition services as local processes."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from aduan_devstack.infra import Kafka, Mongo, ensure_topics, free_port, free_ports
from aduan_devstack.services import (
    SERVICES,
    ServiceProcess,
    service_env,
    wait_all_ready,
)
from aduan_shared.events import ALL_DLQ_TOPICS, ALL_TOPICS
from benchmarks.common import CITY_DIR, REPO, status

PIPELINE = ("intake", "geo-router", "disposition")


@dataclass
class Stack:
    kafka: Kafka
    mongo: Mongo
    services: dict[str, ServiceProcess]
    databases: dict[str, str]  # service name → its MongoDB database
    api_key: str  # the JAKI channel's X-Api-Key
    run_dir: Path
    env: dict[str, str]  # every service's environment (before its port and database)
    cleanup: ExitStack

    def spawn(self, name: str, label: str, overrides: dict[str, str]) -> ServiceProcess:
        """Another process of service `name` (on a free port, with `overrides`), stopped with
        the stack; `label` names it in the figures."""
        spec = next(s for s in SERVICES if s.name == name)
        port = free_port()
        env = self.env | {f"{_prefix(name)}HTTP_PORT": str(port)} | overrides
        own_dir = self.run_dir / f"extra-{len(self.services)}"  # its own pid and log files
        own_dir.mkdir()
        proc = ServiceProcess(own_dir, replace(spec, port=port), env, REPO)
        self.cleanup.callback(proc.stop)
        proc.spawn()
        wait_all_ready([proc], timeout=120)
        self.services[label] = proc
        return proc

    def url(self, service: str, path: str = "") -> str:
        return self.services[service].url + path

    def pids(self) -> dict[str, int]:
        """PID of every process of the stack that is running, by name."""
        procs = {**self.services, "kafka": self.kafka, f"db ({self.mongo.server_kind})": self.mongo}
        return {name: pid for name, proc in procs.items() if (pid := proc.pid) is not None}


def _prefix(service: str) -> str:
    return service.upper().replace("-", "_") + "_"


@contextmanager
def running_stack(
    services: tuple[str, ...] = PIPELINE, env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """Start everything on free ports in a temporary run dir; stop all of it on the way out."""
    run_dir = Path(tempfile.mkdtemp(prefix="aduan-bench-e2e-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, run_dir, True)
        kafka_port, controller_port, mongo_port = free_ports(3)  # none bound yet: held apart
        kafka = Kafka(run_dir, kafka_port, controller_port)
        mongo = Mongo(run_dir, port=mongo_port)
        stack.callback(kafka.stop, 15)  # throw-away data: no need to wait long
        stack.callback(mongo.stop)
        status("e2e: starting Kafka and the database")
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(kafka.start, 120), pool.submit(mongo.start, 60)]:
                started.result()
        ensure_topics(kafka.bootstrap, [*ALL_TOPICS, *ALL_DLQ_TOPICS])
        base = service_env(REPO, kafka.bootstrap, mongo.url)
        base["ADUAN_CITY_DIR"] = str(CITY_DIR)
        base["LOG_FORMAT"] = "json"
        base.update(env or {})
        session = uuid.uuid4().hex[:8]
        procs: dict[str, ServiceProcess] = {}
        databases: dict[str, str] = {}
        ports = iter(free_ports(len(SERVICES)))  # none bound until the services start
        for spec in SERVICES:
            if spec.name not in services:
                continue
            port, database = next(ports), f"bench_{session}_{spec.module}"
            env = base | {
                f"{_prefix(spec.name)}HTTP_PORT": str(port),
                f"{_prefix(spec.name)}MONGODB_DATABASE": database,
            }
            if spec.name == "notifier":  # the reporter vault lives in intake's database
                env["NOTIFIER_VAULT_DATABASE"] = f"bench_{session}_aduan_intake"
            proc = ServiceProcess(run_dir, replace(spec, port=port), env, REPO)
            stack.callback(proc.stop)
            procs[spec.name], databases[spec.name] = proc, database
        status(f"e2e: starting {', '.join(procs)}")
        for proc in procs.values():
            proc.spawn()
        wait_all_ready(list(procs.values()), timeout=120)
        api_key = json.loads(base["INTAKE_API_KEYS"])["jaki"]
        yield Stack(kafka, mongo, procs, databases, api_key, run_dir, base, stack)
        status("e2e: stopping the services, Kafka and the database")
