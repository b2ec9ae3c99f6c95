"""MongoDB read model: the latest state of every report, safe under replay and reordering."""

from __future__ import annotations

import contextlib
from typing import Protocol

from aduan_shared.events import ReportReceived, StatusChanged
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


class ReportReadModel(Protocol):
    async def received(self, event: ReportReceived) -> None: ...

    async def status_changed(self, event: StatusChanged) -> None: ...

    async def counts_by_state(self) -> dict[str, int]: ...


class MongoReportReadModel:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._reports = db["reports"]

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("state")

    async def received(self, event: ReportReceived) -> None:
        await self._reports.update_one(
            {"_id": str(event.report_id)},
            {
                "$setOnInsert": {"state": "received", "version": 0},
                "$set": {"channel": event.channel, "received_at": event.submitted_at},
            },
            upsert=True,
        )

    async def status_changed(self, event: StatusChanged) -> None:
        """Apply the change only if it is newer than what is stored (a replay changes nothing)."""
        with contextlib.suppress(DuplicateKeyError):  # stored version is as new or newer
            await self._reports.update_one(
                {"_id": str(event.report_id), "version": {"$lt": event.version}},
                {
                    "$set": {
                        "state": event.to_state.value,
                        "version": event.version,
                        "unit_id": event.unit_id,
                        "category": event.category,
                        "kelurahan_kode": event.kelurahan_kode,
                    }
                },
                upsert=True,
            )

    async def counts_by_state(self) -> dict[str, int]:
        cursor = await self._reports.aggregate([{"$group": {"_id": "$state", "n": {"$sum": 1}}}])
        return {doc["_id"]: doc["n"] async for doc in cursor}
