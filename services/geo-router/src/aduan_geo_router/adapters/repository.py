"""MongoDB store of routing decisions, kept to find duplicates and recurrences nearby."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aduan_shared.bulk import write
from aduan_shared.coalescing import Writes
from aduan_shared.events import ReportRouted, ReportState, StatusChanged
from aduan_shared.mongo import Document
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from aduan_geo_router.history import Neighbour, cell_key, cell_keys_around

#: How a report's state maps to what duplicate and recurrence checks need.
_HISTORY_STATE = {ReportState.DONE: "done", ReportState.REJECTED: "rejected"}


class RoutingStore(Protocol):
    async def save(self, routed: ReportRouted) -> ReportRouted:
        """Store the decision unless one exists; return the stored (first) decision."""
        ...

    async def nearby(
        self, category: str, lat: float, lon: float, radius_m: float, exclude: str
    ) -> list[Neighbour]:
        """Earlier reports of `category` within `radius_m` of the point."""
        ...

    async def status_changed(self, event: StatusChanged) -> None:
        """Track whether a routed report is open, done or rejected (newer versions win)."""
        ...


class MongoRoutingStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._routes = db["routes"]
        self._writes = Writes(self._routes)  # a batch's decisions: one bulk write

    async def ensure_indexes(self) -> None:
        await self._routes.create_index([("category", 1), ("cell", 1)])

    async def save(self, routed: ReportRouted) -> ReportRouted:
        loc = routed.location
        doc = {
            "_id": str(routed.report_id),
            "event": routed.model_dump(mode="json"),
            "kelurahan_kode": routed.kelurahan.kode if routed.kelurahan else None,
            "category": routed.category,
            "routed_at": routed.occurred_at,
            "state": "open",
            "version": 0,
        }
        if loc is not None:
            doc["location"] = {"type": "Point", "coordinates": [loc.lon, loc.lat]}
            doc["cell"] = cell_key(loc.lat, loc.lon)
        if await self._writes.update_one({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True):
            return routed  # the usual case: decided now, stored now
        stored = await self._routes.find_one({"_id": doc["_id"]})
        if stored is None or "event" not in stored:  # a status change arrived first
            await self._routes.update_one(
                {"_id": doc["_id"], "event": {"$exists": False}},
                {"$set": {k: v for k, v in doc.items() if k not in ("_id", "state", "version")}},
            )
            stored = await self._routes.find_one({"_id": doc["_id"]})
        assert stored is not None
        return ReportRouted.model_validate(stored["event"])

    async def nearby(
        self, category: str, lat: float, lon: float, radius_m: float, exclude: str
    ) -> list[Neighbour]:
        # Equality on an indexed key only: SecantusDB runs `_id: {$ne: ...}` 6× slower.
        query = {"category": category, "cell": {"$in": cell_keys_around(lat, lon, radius_m)}}
        found = []  # exact distances are the domain's (history.match_history)
        fields = {"location": 1, "routed_at": 1, "state": 1, "finished_at": 1}
        async for doc in self._routes.find(query, fields).limit(200):
            if doc["_id"] == exclude:
                continue
            lon_, lat_ = doc["location"]["coordinates"]
            found.append(
                Neighbour(
                    doc["_id"], lat_, lon_, doc["routed_at"], doc["state"], doc.get("finished_at")
                )
            )
        return found

    async def status_changed(self, event: StatusChanged) -> None:
        state = _HISTORY_STATE.get(event.to_state, "open")
        finished_at: datetime | None = event.occurred_at if state == "done" else None
        await write(  # within a Kafka batch: one bulk write at its end (aduan_shared.bulk)
            self._routes,
            UpdateOne(
                {"_id": str(event.report_id), "version": {"$lt": event.version}},
                {"$set": {"state": state, "finished_at": finished_at, "version": event.version}},
                upsert=True,
            ),
            duplicate_is_stale=True,  # a newer change is stored already
        )
