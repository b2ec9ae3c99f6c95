"""Apache Kafka in single-node KRaft mode as a local process, plus idempotent topic creation."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import re
import socket
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from aduan_devstack.kafka_setup import KAFKA_VERSION, ensure_kafka_libs, java_binary
from aduan_devstack.process import InfraError, ManagedProcess

T = TypeVar("T")
_TOPIC_ALREADY_EXISTS = 36

_LOG4J2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN" shutdownHook="disable">
  <Appenders>
    <RollingFile name="server" fileName="{log}" filePattern="{log}.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="50 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Logger name="org.apache.kafka.controller" level="INFO"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Root level="INFO"><AppenderRef ref="server"/></Root>
  </Loggers>
</Configuration>
"""


def _run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, even when an event loop is running here."""

    async def runner() -> T:
        return await factory()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, runner()).result()


def _new_cluster_id() -> str:
    """Same format as `kafka-storage random-uuid`: URL-safe base64 of 16 random bytes."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _heap_mb(heap: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", heap.strip())
    if match is None:
        raise InfraError(f"bad Kafka heap size {heap!r}: use e.g. 512m or 1g")
    num, unit = int(match.group(1)), match.group(2).lower()
    return {"k": num // 1024, "m": num, "g": num * 1024, "": num // (1024 * 1024)}[unit]


class Kafka(ManagedProcess):
    """A single-node Apache Kafka (broker + controller) under `run_dir/kafka/`."""

    name = "kafka"
    version = KAFKA_VERSION

    def __init__(
        self,
        run_dir: Path,
        port: int = 9092,
        controller_port: int = 9093,
        heap: str = "512m",
    ) -> None:
        super().__init__(run_dir)
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self._heap_mb = _heap_mb(heap)
        self.data_dir = self.dir / "data"
        self.config_file = self.dir / "server.properties"
        self.log4j_file = self.dir / "log4j2.xml"
        self.server_log = self.dir / "server.log"
        self._java: str | None = None
        self._libs: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _ports(self) -> list[int]:
        return [self.port, self.controller_port]

    def _marker(self) -> str:
        return str(self.config_file)

    def _extra_logs(self) -> list[Path]:
        return [self.server_log]

    def describe(self) -> dict[str, object]:
        return {"bootstrap": self.bootstrap, "version": self.version, "heap": self.heap}

    def server_properties(self) -> str:
        listeners = (
            f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}"
        )
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "listeners": listeners,
            "advertised.listeners": listeners,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "3",
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "min.insync.replicas": "1",
            "default.replication.factor": "1",
            "group.initial.rebalance.delay.ms": "0",
            # After a SIGKILL the restarted broker cannot re-register until its old session
            # expires (default 9 s, DUPLICATE_BROKER_REGISTRATION): keep that short locally.
            "broker.heartbeat.interval.ms": "1000",
            "broker.session.timeout.ms": "4500",
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _prepare(self) -> None:
        self._java = java_binary()
        self._libs = ensure_kafka_libs(self.version)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self.server_properties())
        self.log4j_file.write_text(_LOG4J2_XML.format(log=self.server_log))
        self._format_once()

    def _format_once(self) -> None:
        """Format the storage on first start only (later starts keep topics and offsets)."""
        if (self.data_dir / "meta.properties").is_file():
            return
        cluster_id = _new_cluster_id()
        cmd = [
            *self._java_cmd("kafka.tools.StorageTool"),
            "format", "--standalone", "--ignore-formatted",
            "--cluster-id", cluster_id, "--config", str(self.config_file),
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise InfraError(f"kafka storage format failed:\n{proc.stdout}{proc.stderr}")
        (self.dir / "cluster.id").write_text(cluster_id + "\n")

    def _java_cmd(self, main_class: str) -> list[str]:
        assert self._java is not None and self._libs is not None
        xms = min(256, self._heap_mb)
        return [
            self._java,
            f"-Xms{xms}m",
            f"-Xmx{self._heap_mb}m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile=file:{self.log4j_file}",
            "-cp",
            f"{self._libs}/*",
            main_class,
        ]

    def _command(self) -> list[str]:
        return [*self._java_cmd("kafka.Kafka"), str(self.config_file)]

    def start(self, timeout: float = 90) -> None:
        """Fetch jars if needed, format storage once, start, wait until a client sees the broker."""
        super().start(timeout)

    def _probe_ready(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            pass
        return _run_async(lambda: _broker_count(self.bootstrap)) >= 1


async def _broker_count(bootstrap: str) -> int:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
        return len(cluster.get("brokers", []))
    finally:
        await admin.close()


async def ensure_topics_async(
    bootstrap: str, names: list[str], partitions: int = 3, replication: int = 1
) -> list[str]:
    """Create the missing topics (existing ones are fine); returns the names it created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(n, partitions, replication) for n in missing]
        )
        created, failures = [], []
        for topic, code, *rest in response.topic_errors:
            if code == 0:
                created.append(topic)
            elif code != _TOPIC_ALREADY_EXISTS:
                failures.append(f"{topic}: error {code} {rest[0] if rest else ''}".strip())
        if failures:
            raise InfraError("could not create Kafka topics: " + "; ".join(failures))
        return created
    finally:
        await admin.close()


def ensure_topics(bootstrap: str, names: list[str], partitions: int = 3) -> list[str]:
    """Sync wrapper of ensure_topics_async (usable inside a running event loop too)."""
    return _run_async(lambda: ensure_topics_async(bootstrap, names, partitions))
