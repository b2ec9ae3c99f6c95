"""The latest state of each report, as the status changes tell it (for status answers)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any, Protocol

from aduan_shared.coalescing import Writes
from aduan_shared.events import ReportState, StatusChanged
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from aduan_notifier.domain import Follower, ReportFacts


class ReportStates(Protocol):
    async def record(self, event: StatusChanged) -> None:
        """Keep `event`'s state unless a later version is already recorded."""
        ...

    async def state_of(self, report_id: str) -> ReportState | None: ...

    async def followers_of(self, report_id: str) -> list[Follower]:
        """The reports merged into this one as duplicates, and whom to tell about them."""
        ...

    async def facts_of(self, report_id: str) -> ReportFacts | None:
        """The tracking code and category the report's status changes carried."""
        ...


class MongoReportStates:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._states = db["report_states"]
        self._merged = db["merged_reports"]
        # Concurrent handlers' writes go in one bulk write per collection and turn.
        self._state_writes, self._merged_writes = Writes(self._states), Writes(self._merged)

    async def ensure_indexes(self) -> None:
        await self._merged.create_index("original")

    async def record(self, event: StatusChanged) -> None:
        fields: dict[str, Any] = {
            "state": event.to_state.value,
            "version": event.version,
            "unit_id": event.unit_id,
            "at": event.occurred_at,
        }
        if event.tracking_code:
            fields["tracking_code"] = event.tracking_code
        if event.category:
            fields["category"] = event.category
        # An older or redelivered version matches nothing; its upsert then collides with the
        # document holding a version >= this one, which is kept.
        with suppress(DuplicateKeyError):
            await self._state_writes.update_one(
                {"_id": str(event.report_id), "version": {"$lt": event.version}},
                {"$set": fields},
                upsert=True,
            )

        if event.to_state is ReportState.REJECTED and event.duplicate_of is not None:
            await self._merged_writes.update_one(  # the same values again on a redelivery
                {"_id": str(event.report_id)},
                {
                    "$set": {
                        "original": str(event.duplicate_of),
                        "reporter_ref": event.reporter_ref,
                        "channel": event.channel,
                        "tracking_code": event.tracking_code,
                    }
                },
                upsert=True,
            )

    async def followers_of(self, report_id: str) -> list[Follower]:
        cursor = self._merged.find({"original": report_id}).sort("_id")
        return [
            Follower(str(d["_id"]), d.get("reporter_ref"), d.get("channel"), d.get("tracking_code"))
            async for d in cursor
        ]

    async def state_of(self, report_id: str) -> ReportState | None:
        doc = await self._states.find_one({"_id": report_id}, {"state": 1})
        return ReportState(doc["state"]) if doc else None

    async def facts_of(self, report_id: str) -> ReportFacts | None:
        doc = await self._states.find_one({"_id": report_id}, {"tracking_code": 1, "category": 1})
        if doc is None:
            return None
        return ReportFacts(doc.get("tracking_code"), doc.get("category"))
