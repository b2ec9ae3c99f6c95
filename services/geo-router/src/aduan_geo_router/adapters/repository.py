"""MongoDB store of routing decisions (kept for duplicate and recurrence checks)."""

from __future__ import annotations

from typing import Protocol

from aduan_shared.events import ReportRouted
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase


class RoutingStore(Protocol):
    async def save(self, routed: ReportRouted) -> ReportRouted:
        """Store the decision unless one exists; return the stored (first) decision."""
        ...


class MongoRoutingStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._routes = db["routes"]

    async def ensure_indexes(self) -> None:
        await self._routes.create_index([("kelurahan_kode", 1), ("category", 1)])

    async def save(self, routed: ReportRouted) -> ReportRouted:
        doc = {
            "_id": str(routed.report_id),
            "event": routed.model_dump(mode="json"),
            "kelurahan_kode": routed.kelurahan.kode if routed.kelurahan else None,
            "category": routed.category,
            "routed_at": routed.occurred_at,
        }
        stored = await self._routes.find_one_and_update(
            {"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True, return_document=True
        )
        return ReportRouted.model_validate(stored["event"]) if stored else routed
