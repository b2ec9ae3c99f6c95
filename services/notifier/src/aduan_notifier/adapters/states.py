"""The latest state of each report, as the status changes tell it (for status answers)."""

from __future__ import annotations

from contextlib import suppress
from typing import Protocol

from aduan_shared.events import ReportState, StatusChanged
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


class ReportStates(Protocol):
    async def record(self, event: StatusChanged) -> None:
        """Keep `event`'s state unless a later version is already recorded."""
        ...

    async def state_of(self, report_id: str) -> ReportState | None: ...


class MongoReportStates:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._states = db["report_states"]

    async def record(self, event: StatusChanged) -> None:
        fields = {
            "state": event.to_state.value,
            "version": event.version,
            "unit_id": event.unit_id,
            "at": event.occurred_at,
        }
        # An older or redelivered version matches nothing; its upsert then collides with the
        # document holding a version >= this one, which is kept.
        with suppress(DuplicateKeyError):
            await self._states.update_one(
                {"_id": str(event.report_id), "version": {"$lt": event.version}},
                {"$set": fields},
                upsert=True,
            )

    async def state_of(self, report_id: str) -> ReportState | None:
        doc = await self._states.find_one({"_id": report_id}, {"state": 1})
        return ReportState(doc["state"]) if doc else None
