"""What is still to do after a load phase, and what the database did during it: the consumer
groups' lag (from the broker) and the database's operation counters (serverStatus)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aduan_shared.consumer_lag import partition_lags
from aduan_shared.events import ALL_TOPICS
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

OPS = ("insert", "query", "update", "delete", "getmore", "command")


class Backlog:
    """The summed lag of consumer groups over the platform's topics (not the DLQs)."""

    def __init__(self, bootstrap: str, groups: list[str]) -> None:
        self.bootstrap, self.groups = bootstrap, groups
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="aduan-bench")
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, client_id="aduan-bench", enable_auto_commit=False
        )
        self._partitions: list[TopicPartition] = []

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()
        described = await self._admin.describe_topics(list(ALL_TOPICS))
        self._partitions = [
            TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
        ]

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def lag(self) -> int:
        first = await self._consumer.beginning_offsets(self._partitions)
        end = await self._consumer.end_offsets(self._partitions)
        total = 0
        for group in self.groups:
            offsets = await self._admin.list_consumer_group_offsets(group)
            committed = {tp: meta.offset for tp, meta in offsets.items()}
            mine = {tp: end[tp] for tp in end if tp in committed}
            total += sum(partition_lags(first, mine, committed).values())
        return total

    async def settle(self, timeout_s: float) -> float | None:
        """Wait until every group caught up; seconds waited, or None at the timeout."""
        began = time.perf_counter()
        while time.perf_counter() - began < timeout_s:
            if await self.lag() == 0:
                return time.perf_counter() - began
            await asyncio.sleep(0.25)
        return None


async def db_ops(client: AsyncMongoClient[dict[str, Any]]) -> dict[str, int]:
    """The server's operation counters since it started (inserts, queries, updates, …)."""
    status = await client.admin.command("serverStatus")
    counters = status.get("opcounters", {})
    return {op: int(counters.get(op, 0)) for op in OPS}


async def db_top(client: AsyncMongoClient[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """Commands and server time (µs) per collection (`database.collection`) since the server
    started (`top`: a bulk write is one command, whatever its statements)."""
    totals = (await client.admin.command("top")).get("totals", {})
    per_collection: dict[str, tuple[int, int]] = {}
    for name, figures in totals.items():
        if not isinstance(figures, dict) or "." not in name:
            continue
        total = figures.get("total", {})
        per_collection[name] = (int(total.get("count", 0)), int(total.get("time", 0)))
    return per_collection
