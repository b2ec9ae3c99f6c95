"""MongoDB stores of intake: the accepted reports and the sealed reporter vault."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aduan_shared.events import ReportReceived, utcnow
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


class TrackingCodeTaken(Exception):
    """Another report holds this tracking code: derive the next one."""


class ReportStore(Protocol):
    async def accept(self, event: ReportReceived) -> tuple[ReportReceived, bool]:
        """Store the event unless the report exists; return (stored event, inserted now).

        Raises TrackingCodeTaken when another report already holds the event's tracking code."""
        ...

    async def forget(self, event: ReportReceived) -> None:
        """Remove a report whose event the broker never acknowledged."""
        ...

    async def by_external_ids(self, channel: str, ids: Sequence[str]) -> ReportReceived | None:
        """The earliest report of `channel` made from one of these channel message ids."""
        ...


class Vault(Protocol):
    async def put(self, reporter_ref: str, sealed: str, channel: str) -> None: ...

    async def forget(self, reporter_ref: str) -> None: ...


class MongoReportStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._reports = db["reports"]

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("tracking_code", unique=True)
        await self._reports.create_index([("channel", 1), ("external_id", 1)])

    async def accept(self, event: ReportReceived) -> tuple[ReportReceived, bool]:
        doc = {
            "_id": str(event.report_id),
            "tracking_code": event.tracking_code,
            "channel": event.channel,
            "external_id": event.external_id,
            "event": event.model_dump(mode="json"),
        }
        try:
            result = await self._reports.update_one(
                {"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True
            )
        except DuplicateKeyError as exc:  # the unique tracking_code index
            raise TrackingCodeTaken(event.tracking_code) from exc
        if result.upserted_id is not None:
            return event, True
        stored = await self._reports.find_one({"_id": doc["_id"]})
        assert stored is not None
        return ReportReceived.model_validate(stored["event"]), False

    async def forget(self, event: ReportReceived) -> None:
        await self._reports.delete_one({"_id": str(event.report_id)})

    async def by_external_ids(self, channel: str, ids: Sequence[str]) -> ReportReceived | None:
        if not ids:
            return None
        cursor = self._reports.find({"channel": channel, "external_id": {"$in": list(ids)}})
        found = [ReportReceived.model_validate(doc["event"]) async for doc in cursor]
        return min(found, key=lambda e: e.submitted_at) if found else None


class MongoVault:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._vault = db["reporter_vault"]

    async def put(self, reporter_ref: str, sealed: str, channel: str) -> None:
        await self._vault.update_one(
            {"_id": reporter_ref},
            {"$setOnInsert": {"sealed": sealed, "channel": channel, "created_at": utcnow()}},
            upsert=True,
        )

    async def forget(self, reporter_ref: str) -> None:
        await self._vault.delete_one({"_id": reporter_ref})
