"""MongoDB store of assignments."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Protocol

from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

from aduan_sla_monitor.domain import Assignment


class AssignmentStore(Protocol):
    async def open(self, assignment: Assignment) -> None: ...

    async def for_report(self, report_id: str) -> list[dict[str, Any]]: ...


class MongoAssignmentStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._assignments = db["assignments"]

    async def ensure_indexes(self) -> None:
        await self._assignments.create_index([("report_id", 1), ("arrived_at", 1)])

    async def open(self, assignment: Assignment) -> None:
        doc = asdict(assignment)
        await self._assignments.update_one(
            {"_id": assignment.assignment_id}, {"$setOnInsert": doc}, upsert=True
        )

    async def for_report(self, report_id: str) -> list[dict[str, Any]]:
        cursor = self._assignments.find({"report_id": report_id}, {"_id": 0}).sort("arrived_at")
        return [doc async for doc in cursor]
