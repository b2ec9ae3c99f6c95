"""Each report's channel and the channel's own id of it, from `report.received`: what a reply
is threaded to (e-mail Message-ID) or addressed by (LAPOR! tracking id, JAKI report id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aduan_shared.coalescing import Reads, Writes
from aduan_shared.events import ReportReceived
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase


@dataclass(frozen=True)
class ReportOrigin:
    channel: str
    external_id: str | None
    tracking_code: str


class ReportOrigins(Protocol):
    async def record(self, event: ReportReceived) -> None: ...

    async def origin_of(self, report_id: str) -> ReportOrigin | None: ...


class MongoReportOrigins:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._origins = db["report_origins"]
        self._writes = Writes(self._origins)  # concurrent handlers: one bulk write
        self._reads = Reads(self._origins)  # the dispatcher's concurrent deliveries: one query

    async def record(self, event: ReportReceived) -> None:
        fields = {
            "channel": event.channel,
            "external_id": event.external_id,
            "tracking_code": event.tracking_code,
        }
        await self._writes.update_one(
            {"_id": str(event.report_id)}, {"$setOnInsert": fields}, upsert=True
        )

    async def origin_of(self, report_id: str) -> ReportOrigin | None:
        doc = await self._reads.by_id(report_id)
        if doc is None:
            return None
        return ReportOrigin(doc["channel"], doc.get("external_id"), doc["tracking_code"])
