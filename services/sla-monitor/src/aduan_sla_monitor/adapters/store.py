"""MongoDB stores: each report's recorded events (`reports`), an index of its clocks
(`clocks`) and the signals sent (`signals`).

`reports`: one document per report, `_id` = report id, its routing under `events.0` and its
status-changed events under `events.<version>` (a redelivery or an out-of-order event lands in its
own slot, so recording is idempotent and order-free), and `scan`/`due_from`/`rev`: `scan` is
true while a clock may still produce a signal; `due_from` is the instant from which a scan may
find one (the earliest warning or deadline of a running clock; a scan then moves it to the next
one after its own instant), so a scan reads only the reports with a point due, not every open
one; `rev` changes on every event so a scanner only clears `scan` or moves `due_from` when no
event arrived since it read the report.

`clocks`: one document per clock of a charged assignment (`_id` = `<assignment id>/<clock id>`),
rewritten from the report's events after each of them: unit, unit kind, arrival, deadline and its
month, and whether and when it stopped. It is derived data — the ledger recomputes breaches from
the events — and serves as the index the ledger and the metrics query (by deadline month, by open
backlog, by outcome).

`signals`: one document per warning or breach, `_id` = the signal's key. Inserting it is the
claim: a duplicate key means another scan (or replica, or an earlier run) already has it, so each
signal is sent once. `published` becomes true after the broker's ack; until then the row is
retried, under a lease so two replicas do not publish it at the same time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aduan_shared.bulk import restate
from aduan_shared.coalescing import Reads, Writes
from aduan_shared.events import ReportRouted, StatusChanged
from aduan_shared.mongo import Document
from pymongo import DeleteMany, ReplaceOne, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from aduan_sla_monitor.clock import Recorded
from aduan_sla_monitor.views import AGE_BUCKETS, ClockRow


@dataclass(frozen=True)
class ReportEvents:
    report_id: str
    rev: int
    events: list[Recorded]


@dataclass(frozen=True)
class SignalRow:
    key: str
    type: str  # warning | breach
    report_id: str
    event: dict[str, Any]  # the SlaWarning / SlaBreached payload, JSON mode
    lease_until: datetime
    published: bool = False


class ReportStore(Protocol):
    async def with_event(self, event: Recorded) -> list[Recorded]:
        """The report's stored events with `event` in its slot (nothing written)."""
        ...

    async def record(self, event: Recorded, *, due_from: datetime | None, scan: bool) -> None:
        """Store `event` in its slot; the report is to be scanned from `due_from` on, while
        `scan` (a clock may still signal)."""
        ...

    async def events(self, report_id: str) -> list[Recorded] | None: ...

    async def events_of(self, report_ids: list[str]) -> list[list[Recorded]]: ...

    def to_scan(self, now: datetime) -> AsyncIterator[ReportEvents]:
        """The reports that may have a signal due at `now`."""
        ...

    async def close(self, report_id: str, rev: int) -> None:
        """No clock of the report can signal any more (unless an event came since `rev`)."""
        ...

    async def reschedule(self, report_id: str, rev: int, due_from: datetime | None) -> None:
        """Scan the report again from `due_from` on (None: only after its next event)."""
        ...

    async def next_due(self) -> datetime | None:
        """The earliest instant from which some report is to be scanned."""
        ...


class SignalStore(Protocol):
    async def claim(self, row: SignalRow) -> bool: ...

    async def mark_published(self, key: str) -> None: ...

    async def release(self, key: str, at: datetime) -> None: ...

    async def take_unpublished(self, now: datetime, lease_until: datetime) -> SignalRow | None: ...

    async def for_report(self, report_id: str) -> list[SignalRow]: ...


#: `due_from` of the reports recorded before it existed (so: due at once).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _version(event: Recorded) -> int:
    return 0 if isinstance(event, ReportRouted) else event.version


def _parse(stored: dict[str, Any]) -> Recorded:
    if stored.get("event_type") == ReportRouted.model_fields["event_type"].default:
        return ReportRouted.model_validate(stored)
    return StatusChanged.model_validate(stored)


def _events(doc: Document) -> list[Recorded]:
    stored = doc.get("events") or {}
    return sorted((_parse(e) for e in stored.values()), key=_version)


class MongoReportStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._reports = db["reports"]
        self._reads = Reads(self._reports, {"events": 1})  # concurrent handlers: one query
        self._writes = Writes(self._reports)  # … and one bulk write

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("scan", partialFilterExpression={"scan": True})
        await self._reports.create_index("due_from", partialFilterExpression={"scan": True})
        # Reports recorded before `due_from` existed: scanned once, which sets it.
        await self._reports.update_many(
            {"scan": True, "due_from": {"$exists": False}}, {"$set": {"due_from": EPOCH}}
        )

    async def with_event(self, event: Recorded) -> list[Recorded]:
        """A read of the report coalesced with the other reports of the batch (one `$in`
        query for all of them)."""
        doc = await self._reads.by_id(str(event.report_id))
        slot = str(_version(event))
        stored = (doc or {}).get("events") or {}
        others = [_parse(e) for key, e in stored.items() if key != slot]
        return sorted([*others, event], key=_version)

    async def record(self, event: Recorded, *, due_from: datetime | None, scan: bool) -> None:
        """A write of the slot coalesced with the other reports of the batch (one bulk write).

        The read before it (`with_event`) and this write are not one atomic step: only one
        consumer handles a report's events, one after the other, so nothing writes the report
        between them (a consumer that lost its partition and still runs could; the events are
        stored all the same, and the report's next event or scan sets `due_from` again)."""
        await self._writes.update_one(
            {"_id": str(event.report_id)},
            {
                "$set": {
                    f"events.{_version(event)}": event.model_dump(mode="json"),
                    "scan": scan,
                    "due_from": due_from,
                },
                "$inc": {"rev": 1},
            },
            upsert=True,
        )

    async def events(self, report_id: str) -> list[Recorded] | None:
        doc = await self._reports.find_one({"_id": report_id}, {"events": 1})
        return None if doc is None else _events(doc)

    async def events_of(self, report_ids: list[str]) -> list[list[Recorded]]:
        """The recorded events of each report in `report_ids` (unknown ones left out)."""
        cursor = self._reports.find({"_id": {"$in": report_ids}}, {"events": 1}).sort("_id")
        return [_events(doc) async for doc in cursor]

    async def to_scan(self, now: datetime) -> AsyncIterator[ReportEvents]:
        due = {"scan": True, "due_from": {"$lte": now}}
        async for doc in self._reports.find(due, {"events": 1, "rev": 1}):
            yield ReportEvents(str(doc["_id"]), int(doc.get("rev", 0)), _events(doc))

    async def close(self, report_id: str, rev: int) -> None:
        await self._reports.update_one({"_id": report_id, "rev": rev}, {"$set": {"scan": False}})

    async def reschedule(self, report_id: str, rev: int, due_from: datetime | None) -> None:
        await self._reports.update_one(
            {"_id": report_id, "rev": rev}, {"$set": {"due_from": due_from}}
        )

    async def next_due(self) -> datetime | None:
        doc = await self._reports.find_one(
            {"scan": True, "due_from": {"$gte": EPOCH}}, {"due_from": 1}, sort=[("due_from", 1)]
        )
        return None if doc is None else _utc(doc["due_from"])


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


class ClockIndex(Protocol):
    async def replace_report(self, report_id: str, rows: list[ClockRow]) -> None: ...

    async def reports_due_in(self, month: str) -> list[str]: ...

    async def open_backlog(self, now: datetime) -> dict[tuple[str, str], int]: ...

    async def outcomes(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]: ...


class MongoClockIndex:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._clocks = db["clocks"]

    async def ensure_indexes(self) -> None:
        await self._clocks.create_index("report_id")
        await self._clocks.create_index("deadline_month")
        await self._clocks.create_index([("kind", 1), ("deadline", 1)])

    async def replace_report(self, report_id: str, rows: list[ClockRow]) -> None:
        """The report's clocks as now computed; clocks no longer there are removed."""
        keys = [r.key for r in rows]
        ops: list[Any] = [ReplaceOne({"_id": r.key}, r.document(), upsert=True) for r in rows]
        ops.append(DeleteMany({"report_id": report_id, "_id": {"$nin": keys}}))
        # In a Kafka batch: its last restatement only, with the other reports' clocks in one
        # bulk write at the batch's end (aduan_shared.bulk). The removal spares the rows kept,
        # so it may run before or after their upserts.
        await restate(self._clocks, report_id, ops)

    async def reports_due_in(self, month: str) -> list[str]:
        """Reports with a clock whose deadline falls in `month` (`YYYY-MM`, city time)."""
        found = await self._clocks.distinct("report_id", {"deadline_month": month})
        return sorted(str(r) for r in found)

    async def open_backlog(self, now: datetime) -> dict[tuple[str, str], int]:
        """Response clocks still running (the units' backlog), counted by unit kind and age
        bucket (`views.AGE_BUCKETS`) as of `now`: one aggregation, counted by the server, with
        a facet per bucket (arrived after `now` - its upper bound, at or before `now` - its
        lower bound)."""
        facets: dict[str, list[Document]] = {}
        lower = None
        for label, upper in AGE_BUCKETS:
            arrived: Document = {}
            if upper != float("inf"):
                arrived["$gt"] = now - timedelta(days=upper)
            if lower is not None:
                arrived["$lte"] = now - timedelta(days=lower)
            match: Document = {"arrived_at": arrived} if arrived else {}
            facets[label] = [
                {"$match": match},
                {"$group": {"_id": "$unit_kind", "n": {"$sum": 1}}},
            ]
            lower = upper
        pipeline: list[Document] = [
            {"$match": {"kind": "response", "outcome": "running"}},
            {"$project": {"unit_kind": 1, "arrived_at": 1}},
            {"$facet": facets},
        ]
        cursor = await self._clocks.aggregate(pipeline)
        out: dict[tuple[str, str], int] = {}
        async for doc in cursor:
            for label, groups in doc.items():
                for g in groups:
                    out[(g["_id"], label)] = int(g["n"])
        return out

    async def outcomes(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        """Response clocks with a deadline in [since, until], counted by unit kind and outcome."""
        pipeline: list[Document] = [
            {"$match": {"kind": "response", "deadline": {"$gte": since, "$lte": until}}},
            {"$group": {"_id": {"k": "$unit_kind", "o": "$outcome"}, "n": {"$sum": 1}}},
        ]
        cursor = await self._clocks.aggregate(pipeline)
        return {(d["_id"]["k"], d["_id"]["o"]): int(d["n"]) async for d in cursor}
