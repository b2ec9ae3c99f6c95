"""Real Apache Kafka: produce/consume with aiokafka, SIGKILL, restart, data survives."""

from __future__ import annotations

import uuid
from pathlib import Path

from aduan_devstack.infra import Kafka, ensure_topics
from aduan_devstack.procfs import pid_gone
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def _consume_all(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        values: list[bytes] = []
        for _ in range(20):
            batch = await consumer.getmany(timeout_ms=1000)
            values += [m.value for msgs in batch.values() for m in msgs if m.value is not None]
            if len(values) >= expected:
                break
        return values
    finally:
        await consumer.stop()


async def test_kafka_survives_kill_and_restart(tmp_path: Path, ports: list[int]) -> None:
    kafka = Kafka(tmp_path, port=ports[0], controller_port=ports[1], heap="384m")
    kafka.start(timeout=90)
    try:
        assert kafka.is_running()
        assert kafka.bootstrap == f"127.0.0.1:{ports[0]}"
        assert kafka.started_in_s is not None and kafka.started_in_s > 0
        assert (kafka.rss_mb() or 0) > 50
        assert (tmp_path / "kafka" / "kafka.pid").is_file()
        assert ensure_topics(kafka.bootstrap, ["devstack.test", "devstack.other"]) == [
            "devstack.test",
            "devstack.other",
        ]
        assert ensure_topics(kafka.bootstrap, ["devstack.test"]) == []  # idempotent

        producer = AIOKafkaProducer(
            bootstrap_servers=kafka.bootstrap, enable_idempotence=True, acks="all"
        )
        await producer.start()
        try:
            await producer.send_and_wait("devstack.test", b"hello", key=b"k1")
        finally:
            await producer.stop()
        assert await _consume_all(kafka.bootstrap, "devstack.test", 1) == [b"hello"]

        first_pid = kafka.pid
        kafka.kill()
        assert pid_gone(first_pid)
        assert not kafka.is_running()

        kafka.start(timeout=90)
        assert kafka.pid != first_pid
        assert await _consume_all(kafka.bootstrap, "devstack.test", 1) == [b"hello"]
        assert "Kafka Server started" in (tmp_path / "kafka" / "server.log").read_text()
    finally:
        pid = kafka.pid
        kafka.stop()
    assert pid_gone(pid)
    assert not (tmp_path / "kafka" / "kafka.pid").exists()
