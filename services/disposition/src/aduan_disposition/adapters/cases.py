"""MongoDB repository of cases, with each case's unpublished events kept inside it (the outbox).

A case and the `status-changed` events its changes call for are written in one single-document
update, so there is never a committed change without its event or an event without its change.
The relay (`aduan_disposition.outbox`) publishes a case's outbox in order and removes each
event once Kafka acknowledged it; a crash in between leaves the events for the next sweep.
No multi-document transaction is needed.

A Kafka batch opens many cases at once: their inserts and their outboxes' acknowledgements go
through `aduan_shared.coalescing`, one bulk write per turn of the event loop for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from aduan_shared.coalescing import Writes
from aduan_shared.errors import CaseNotFound, StaleVersion
from aduan_shared.events import Event, ReportRated, StatusChanged, parse_event
from aduan_shared.mongo import Document
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from aduan_disposition.domain import Case

PAGE_SIZE = 50


class CaseStore(Protocol):
    async def create(self, case: Case, event: StatusChanged) -> tuple[Case, bool]:
        """Insert the case with its opening event unless it exists; return the stored case and
        whether it was inserted now (its outbox then holds that event, unless a change already
        followed)."""
        ...

    async def get(self, report_id: str) -> Case | None: ...

    async def by_tracking_code(self, code: str) -> Case | None: ...

    async def replace(
        self,
        case: Case,
        expected_version: int,
        event: StatusChanged,
        phash_bands: Sequence[str] = (),
    ) -> None:
        """Store `case` (a successor of version `expected_version`) with its event, adding its
        evidence photos' pHash bands to the index, atomically; raise StaleVersion if the stored
        case has moved on, CaseNotFound if there is none."""
        ...

    async def update_fields(self, report_id: str, version: int, fields: dict[str, Any]) -> bool:
        """Set fields that are not part of the lifecycle (the rating) on that version."""
        ...

    async def find(self, filters: dict[str, Any], page: int) -> tuple[list[Case], int]:
        """One page of cases matching equality `filters` (newest first), and the total."""
        ...

    async def outbox(self, report_id: str) -> list[Event]:
        """The case's unpublished events (status changes, the rating), oldest first."""
        ...

    async def published(self, report_id: str, event_ids: Sequence[str]) -> None:
        """Remove acknowledged events from the case's outbox."""
        ...

    async def with_pending_events(self, limit: int) -> list[str]:
        """Report ids of cases whose outbox is not empty."""
        ...

    async def evidence_phashes(
        self, phash_bands: Sequence[str], exclude_report_id: str, limit: int
    ) -> list[str]:
        """pHashes of other cases' evidence sharing a band with `phash_bands` (at most `limit`
        cases looked at)."""
        ...

    async def followers(self, report_id: str, depth: int = 3) -> list[str]:
        """reporter_refs of the cases merged into this one as duplicates (and into those)."""
        ...

    async def rate(self, report_id: str, rating: dict[str, Any], event: ReportRated) -> bool:
        """Store the rating once, only while the case is done, with its event in the outbox (one
        write); False if it was not stored."""
        ...

    async def rating(self, report_id: str) -> dict[str, Any] | None: ...

    async def versions(self, tracking_codes: Sequence[str]) -> dict[str, int]:
        """Current version by tracking code (the live feed's poll)."""
        ...

    async def count_by_state_and_unit(self) -> list[tuple[str, str, int]]:
        """(state, unit_id, number of cases) over all cases."""
        ...


def _event_doc(event: Event) -> dict[str, Any]:
    return {"event_id": str(event.event_id), "json": event.model_dump_json()}


class MongoCaseStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db["cases"]
        self._writes = Writes(self._cases)  # calls of concurrent handlers, in one bulk write

    async def ensure_indexes(self) -> None:
        await self._cases.create_index("tracking_code", unique=True)
        await self._cases.create_index([("unit_id", ASCENDING), ("state", ASCENDING)])
        await self._cases.create_index("outbox_pending")
        await self._cases.create_index([("opened_at", DESCENDING)])
        # Added with issue 5: list filters, duplicate merges, evidence pHash bands.
        await self._cases.create_index([("coordination_target_id", ASCENDING)])
        await self._cases.create_index([("kelurahan.kode", ASCENDING)])
        await self._cases.create_index([("category", ASCENDING), ("state", ASCENDING)])
        await self._cases.create_index([("duplicate_of", ASCENDING)])
        await self._cases.create_index([("evidence_bands", ASCENDING)], sparse=True)

    async def create(self, case: Case, event: StatusChanged) -> tuple[Case, bool]:
        doc = {
            **case.to_document(),
            "opened_at": case.history[-1].at,
            "outbox": [_event_doc(event)],
            "outbox_pending": True,
        }
        if await self._writes.update_one(
            {"_id": case.report_id}, {"$setOnInsert": doc}, upsert=True
        ):
            return case, True
        stored = await self.get(case.report_id)  # a redelivery: the case as it is now
        return (stored or case), False

    async def get(self, report_id: str) -> Case | None:
        doc = await self._cases.find_one({"_id": report_id}, {"outbox": 0})
        return Case.from_document(doc) if doc else None

    async def by_tracking_code(self, code: str) -> Case | None:
        doc = await self._cases.find_one({"tracking_code": code}, {"outbox": 0})
        return Case.from_document(doc) if doc else None

    async def update_fields(self, report_id: str, version: int, fields: dict[str, Any]) -> bool:
        result = await self._cases.update_one(
            {"_id": report_id, "version": version}, {"$set": fields}
        )
        return result.modified_count == 1

    async def find(self, filters: dict[str, Any], page: int) -> tuple[list[Case], int]:
        total = await self._cases.count_documents(filters)
        cursor = (
            self._cases.find(filters, {"outbox": 0})
            .sort("opened_at", DESCENDING)
            .skip((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        return [Case.from_document(doc) async for doc in cursor], total

    async def outbox(self, report_id: str) -> list[Event]:
        doc = await self._cases.find_one({"_id": report_id}, {"outbox": 1})
        entries = doc.get("outbox", []) if doc else []
        return [parse_event(e["json"]) for e in entries]

    async def published(self, report_id: str, event_ids: Sequence[str]) -> None:
        ids = list(event_ids)
        # One statement: drop these events, keep any another change queued meanwhile, and say
        # whether some are left (an update pipeline computes the flag from the new outbox).
        await self._writes.update_one(
            {"_id": report_id},
            [
                {
                    "$set": {
                        "outbox": {
                            "$filter": {
                                "input": "$outbox",
                                "cond": {"$not": [{"$in": ["$$this.event_id", ids]}]},
                            }
                        }
                    }
                },
                {"$set": {"outbox_pending": {"$gt": [{"$size": "$outbox"}, 0]}}},
            ],
        )

    async def with_pending_events(self, limit: int) -> list[str]:
        cursor = self._cases.find({"outbox_pending": True}, {"_id": 1}).limit(limit)
        return [str(doc["_id"]) async for doc in cursor]

    async def replace(
        self,
        case: Case,
        expected_version: int,
        event: StatusChanged,
        phash_bands: Sequence[str] = (),
    ) -> None:
        fields = case.to_document()
        del fields["_id"]
        update: dict[str, Any] = {
            "$set": {**fields, "outbox_pending": True},
            "$push": {"outbox": _event_doc(event)},
        }
        if phash_bands:
            update["$addToSet"] = {"evidence_bands": {"$each": list(phash_bands)}}
        result = await self._cases.update_one(
            {"_id": case.report_id, "version": expected_version}, update
        )
        if result.matched_count == 1:
            return
        current = await self._cases.find_one({"_id": case.report_id}, {"version": 1})
        if current is None:
            raise CaseNotFound(f"no case {case.report_id}")
        raise StaleVersion(
            f"the case is at version {current['version']}, not {expected_version}; reload it",
            current_version=current["version"],
        )

    async def evidence_phashes(
        self, phash_bands: Sequence[str], exclude_report_id: str, limit: int
    ) -> list[str]:
        if not phash_bands:
            return []
        cursor = self._cases.find(
            {"evidence_bands": {"$in": list(phash_bands)}, "_id": {"$ne": exclude_report_id}},
            {"evidence.photos.phash": 1},
        ).limit(limit)
        return [
            photo["phash"]
            async for doc in cursor
            for evidence in doc.get("evidence", [])
            for photo in evidence.get("photos", [])
            if photo.get("phash")
        ]

    async def followers(self, report_id: str, depth: int = 3) -> list[str]:
        found: dict[str, None] = {}
        seen, frontier = {report_id}, [report_id]
        for _ in range(depth):
            if not frontier:
                break
            cursor = self._cases.find(
                {"duplicate_of": {"$in": frontier}}, {"reporter_ref": 1}
            ).limit(1000)
            frontier = []
            async for doc in cursor:
                if doc["_id"] in seen:
                    continue
                seen.add(doc["_id"])
                frontier.append(doc["_id"])
                if doc.get("reporter_ref"):
                    found[doc["reporter_ref"]] = None
        return list(found)

    async def rate(self, report_id: str, rating: dict[str, Any], event: ReportRated) -> bool:
        result = await self._cases.update_one(
            {"_id": report_id, "state": "done", "rating": {"$exists": False}},
            {
                "$set": {"rating": rating, "outbox_pending": True},
                "$push": {"outbox": _event_doc(event)},
            },
        )
        return result.modified_count == 1

    async def rating(self, report_id: str) -> dict[str, Any] | None:
        doc = await self._cases.find_one({"_id": report_id}, {"rating": 1})
        return doc.get("rating") if doc else None

    async def versions(self, tracking_codes: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        codes = list(tracking_codes)
        for start in range(0, len(codes), 500):
            cursor = self._cases.find(
                {"tracking_code": {"$in": codes[start : start + 500]}},
                {"tracking_code": 1, "version": 1},
            )
            async for doc in cursor:
                found[doc["tracking_code"]] = doc["version"]
        return found

    async def count_by_state_and_unit(self) -> list[tuple[str, str, int]]:
        pipeline = [{"$group": {"_id": {"s": "$state", "u": "$unit_id"}, "n": {"$sum": 1}}}]
        cursor = await self._cases.aggregate(pipeline)
        return [(d["_id"]["s"], d["_id"]["u"], d["n"]) async for d in cursor]
