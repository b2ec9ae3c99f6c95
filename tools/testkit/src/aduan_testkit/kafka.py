"""Kafka helpers for tests: every partition of some topics, a consumer group started at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition


async def all_partitions(
    consumer: AIOKafkaConsumer, topics: Sequence[str], timeout_s: float = 30
) -> list[TopicPartition]:
    """Every partition of `topics`, by subscribing a group-less consumer (which is assigned
    them all with the first metadata); raises if a topic has none by `timeout_s`."""
    consumer.subscribe(list(topics))
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout_s
    while {tp.topic for tp in consumer.assignment()} != set(topics):
        if loop.time() > until:
            missing = set(topics) - {tp.topic for tp in consumer.assignment()}
            raise RuntimeError(f"no partitions for {sorted(missing)} within {timeout_s:g} s")
        await asyncio.sleep(0.1)
    return sorted(consumer.assignment())


async def start_group_at_end(bootstrap: str, group: str, topics: Sequence[str]) -> None:
    """Commit the topics' end offsets for `group`, so its members read only what comes next
    (a fresh group would otherwise start at the first offset: Aduan's subscribers use
    `earliest`)."""
    finder = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await finder.start()
    try:
        partitions = await all_partitions(finder, topics)
        ends = await finder.end_offsets(partitions)
    finally:
        await finder.stop()
    committer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await committer.start()
    try:
        committer.assign(partitions)
        await committer.commit(dict(ends.items()))
    finally:
        await committer.stop()
