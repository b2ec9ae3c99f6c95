"""MongoDB stores of intake: the accepted reports and the sealed reporter vault."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aduan_shared.coalescing import Reads, Writes
from aduan_shared.events import ReportReceived, ReportState, utcnow
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


#: States in which a report is finished (Open311 `closed`); every other state is `open`.
CLOSED_STATES = (ReportState.DONE, ReportState.REJECTED)


@dataclass(frozen=True)
class ReportStatus:
    """Where a report stands, as its latest status-changed event says."""

    state: ReportState
    version: int
    at: datetime
    unit_id: str | None
    expected_at: datetime | None = None  # the unit's estimated completion, while it holds
    category: str | None = None  # the category it was routed under (classified or given)


@dataclass(frozen=True)
class StoredReport:
    event: ReportReceived
    status: ReportStatus | None  # None until the first status change arrives

    @property
    def category(self) -> str | None:
        return self.status.category if self.status and self.status.category else self.event.category


@dataclass(frozen=True)
class ReportQuery:
    """The public listing (Open311 `GET requests`): public reports submitted from `start` to
    `end` (both included), newest first. `tracking_codes`, when given, replaces every other
    filter."""

    start: datetime
    end: datetime
    categories: tuple[str, ...] = ()  # category names; empty: all
    closed: bool | None = None  # True: done/rejected only; False: the others; None: both
    tracking_codes: tuple[str, ...] = ()
    limit: int = 1000


class StatusStore(Protocol):
    """What the status follower and Open311 need of the reports (beside `ReportStore`)."""

    async def record_status(self, report_id: str, status: ReportStatus) -> bool:
        """Apply `status` if its version is newer than the stored one; True if applied.

        A redelivered or late (out-of-order) event, or an unknown report, changes nothing."""
        ...

    async def by_tracking_code(self, code: str) -> StoredReport | None: ...

    async def public_reports(self, query: ReportQuery) -> list[StoredReport]: ...


class Vault(Protocol):
    async def put(self, reporter_ref: str, sealed: str, channel: str) -> None: ...

    async def forget(self, reporter_ref: str) -> None: ...


class MongoReportStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._reports = db["reports"]
        # Concurrent requests' and handlers' calls share round trips (aduan_shared.coalescing).
        self._writes = Writes(self._reports)
        self._versions = Reads(self._reports, {"state_version": 1})

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
            inserted = await self._writes.update_one(
                {"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True
            )
        except DuplicateKeyError as exc:  # the unique tracking_code index
            raise TrackingCodeTaken(event.tracking_code) from exc
        if inserted:
            return event, True
        stored = await self._reports.find_one({"_id": doc["_id"]})
        assert stored is not None
        return ReportReceived.model_validate(stored["event"]), False

    async def forget(self, event: ReportReceived) -> None:
        await self._reports.delete_one({"_id": str(event.report_id)})

    async def ensure_status_indexes(self) -> None:
        """The index of the public listing (visibility, then newest first)."""
        await self._reports.create_index([("event.visibility", 1), ("event.submitted_at", -1)])

    async def record_status(self, report_id: str, status: ReportStatus) -> bool:
        fields: dict[str, Any] = {
            "state": status.state.value,
            "state_version": status.version,
            "state_at": status.at,
            "unit_id": status.unit_id,
            "expected_at": status.expected_at,
        }
        if status.category is not None:
            fields["category"] = status.category
        # Only this follower writes a report's state, one event after the other, so the version
        # read says whether the change applies; the write keeps the guard all the same.
        stored = await self._versions.by_id(report_id)
        current = None if stored is None else stored.get("state_version")
        if stored is None or (current is not None and current >= status.version):
            return False  # unknown report (intake stored every report first), or not newer
        await self._writes.update_one(
            {"_id": report_id, "state_version": {"$not": {"$gte": status.version}}},
            {"$set": fields},
        )
        return True

    async def by_tracking_code(self, code: str) -> StoredReport | None:
        doc = await self._reports.find_one({"tracking_code": code})
        return _stored(doc) if doc is not None else None

    async def public_reports(self, query: ReportQuery) -> list[StoredReport]:
        cursor = (
            self._reports.find(_listing_filter(query))
            .sort("event.submitted_at", -1)
            .limit(query.limit)
        )
        return [_stored(doc) async for doc in cursor]

    async def by_external_ids(self, channel: str, ids: Sequence[str]) -> ReportReceived | None:
        if not ids:
            return None
        cursor = self._reports.find({"channel": channel, "external_id": {"$in": list(ids)}})
        found = [ReportReceived.model_validate(doc["event"]) async for doc in cursor]
        return min(found, key=lambda e: e.submitted_at) if found else None


def _w3c(at: datetime) -> str:
    """`at` as events store it (pydantic's JSON: UTC, `Z`, microseconds only when non-zero), so
    string ranges on `event.submitted_at` compare as times (intake's events are all UTC)."""
    text = at.astimezone(UTC).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def _listing_filter(query: ReportQuery) -> Document:
    flt: Document = {"event.visibility": "public"}
    if query.tracking_codes:
        flt["tracking_code"] = {"$in": list(query.tracking_codes)}
        return flt
    flt["event.submitted_at"] = {"$gte": _w3c(query.start), "$lte": _w3c(query.end)}
    if query.categories:
        names = list(query.categories)
        flt["$or"] = [  # the routed category when known, else the one given at submission
            {"category": {"$in": names}},
            {"category": None, "event.category": {"$in": names}},
        ]
    closed = [s.value for s in CLOSED_STATES]
    if query.closed is True:
        flt["state"] = {"$in": closed}
    elif query.closed is False:
        flt["state"] = {"$nin": closed}  # also matches reports with no status yet
    return flt


def _stored(doc: Document) -> StoredReport:
    status = None
    if "state" in doc:
        status = ReportStatus(
            state=ReportState(doc["state"]),
            version=doc["state_version"],
            at=doc["state_at"],
            unit_id=doc.get("unit_id"),
            expected_at=doc.get("expected_at"),
            category=doc.get("category"),
        )
    return StoredReport(ReportReceived.model_validate(doc["event"]), status)


class MongoVault:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._vault = db["reporter_vault"]
        self._vault_writes = Writes(self._vault)  # concurrent requests: one bulk write

    async def put(self, reporter_ref: str, sealed: str, channel: str) -> None:
        await self._vault_writes.update_one(
            {"_id": reporter_ref},
            {"$setOnInsert": {"sealed": sealed, "channel": channel, "created_at": utcnow()}},
            upsert=True,
        )

    async def forget(self, reporter_ref: str) -> None:
        await self._vault.delete_one({"_id": reporter_ref})
