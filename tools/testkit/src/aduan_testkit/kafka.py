"""Kafka helpers for tests: a consumer group started at the topics' end."""

from __future__ import annotations

from collections.abc import Sequence

from aduan_shared.kafka import all_partitions
from aiokafka import AIOKafkaConsumer


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
