"""MongoDB stores: each report's status changes (`reports`) and the signals sent (`signals`).

`reports`: one document per report, `_id` = report id, its status-changed events under
`events.<version>` (a redelivery or an out-of-order event lands in its own slot, so recording is
idempotent and order-free), the assignments last computed from them, and `scan`/`rev`: `scan`
is true while a clock may still produce a signal; `rev` changes on every event so a scanner only
clears `scan` when no event arrived since it read the report.

`signals`: one document per warning or breach, `_id` = the signal's key. Inserting it is the
claim: a duplicate key means another scan (or replica, or an earlier run) already has it, so each
signal is sent once. `published` becomes true after the broker's ack; until then the row is
retried, under a lease so two replicas do not publish it at the same time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aduan_shared.events import StatusChanged
from aduan_shared.mongo import Document
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


@dataclass(frozen=True)
class ReportEvents:
    report_id: str
    rev: int
    events: list[StatusChanged]


@dataclass(frozen=True)
class SignalRow:
    key: str
    type: str  # warning | breach
    report_id: str
    event: dict[str, Any]  # the SlaWarning / SlaBreached payload, JSON mode
    lease_until: datetime
    published: bool = False


class ReportStore(Protocol):
    async def record(self, event: StatusChanged) -> list[StatusChanged]: ...

    async def save_assignments(self, report_id: str, views: list[dict[str, Any]]) -> None: ...

    async def events(self, report_id: str) -> list[StatusChanged] | None: ...

    def to_scan(self) -> AsyncIterator[ReportEvents]: ...

    async def close(self, report_id: str, rev: int) -> None: ...


class SignalStore(Protocol):
    async def claim(self, row: SignalRow) -> bool: ...

    async def mark_published(self, key: str) -> None: ...

    async def release(self, key: str, at: datetime) -> None: ...

    async def take_unpublished(self, now: datetime, lease_until: datetime) -> SignalRow | None: ...

    async def for_report(self, report_id: str) -> list[SignalRow]: ...


def _events(doc: Document) -> list[StatusChanged]:
    stored = doc.get("events") or {}
    return sorted(
        (StatusChanged.model_validate(e) for e in stored.values()), key=lambda e: e.version
    )


class MongoReportStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._reports = db["reports"]

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("scan", partialFilterExpression={"scan": True})

    async def record(self, event: StatusChanged) -> list[StatusChanged]:
        doc = await self._reports.find_one_and_update(
            {"_id": str(event.report_id)},
            {
                "$set": {f"events.{event.version}": event.model_dump(mode="json"), "scan": True},
                "$inc": {"rev": 1},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None
        return _events(doc)

    async def save_assignments(self, report_id: str, views: list[dict[str, Any]]) -> None:
        await self._reports.update_one({"_id": report_id}, {"$set": {"assignments": views}})

    async def events(self, report_id: str) -> list[StatusChanged] | None:
        doc = await self._reports.find_one({"_id": report_id}, {"events": 1})
        return None if doc is None else _events(doc)

    async def to_scan(self) -> AsyncIterator[ReportEvents]:
        async for doc in self._reports.find({"scan": True}, {"events": 1, "rev": 1}):
            yield ReportEvents(str(doc["_id"]), int(doc.get("rev", 0)), _events(doc))

    async def close(self, report_id: str, rev: int) -> None:
        await self._reports.update_one({"_id": report_id, "rev": rev}, {"$set": {"scan": False}})


def _row(doc: Document) -> SignalRow:
    return SignalRow(
        key=str(doc["_id"]),
        type=doc["type"],
        report_id=doc["report_id"],
        event=doc["event"],
        lease_until=doc["lease_until"],
        published=bool(doc.get("published")),
    )


class MongoSignalStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._signals = db["signals"]

    async def ensure_indexes(self) -> None:
        await self._signals.create_index("report_id")
        await self._signals.create_index(
            "lease_until", partialFilterExpression={"published": False}
        )

    async def claim(self, row: SignalRow) -> bool:
        try:
            await self._signals.insert_one(
                {
                    "_id": row.key,
                    "type": row.type,
                    "report_id": row.report_id,
                    "event": row.event,
                    "lease_until": row.lease_until,
                    "published": False,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def mark_published(self, key: str) -> None:
        await self._signals.update_one({"_id": key}, {"$set": {"published": True}})

    async def release(self, key: str, at: datetime) -> None:
        await self._signals.update_one(
            {"_id": key, "published": False}, {"$set": {"lease_until": at}}
        )

    async def take_unpublished(self, now: datetime, lease_until: datetime) -> SignalRow | None:
        doc = await self._signals.find_one_and_update(
            {"published": False, "lease_until": {"$lte": now}},
            {"$set": {"lease_until": lease_until}},
            sort=[("lease_until", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _row(doc)

    async def for_report(self, report_id: str) -> list[SignalRow]:
        cursor = self._signals.find({"report_id": report_id}).sort("_id")
        return [_row(doc) async for doc in cursor]
