"""MongoDB read models, built idempotently from the events: replaying a topic changes nothing.

- `reports`: one document per report. What `received` and `routed` say is `$set` (the same
  values again on a replay); the state follows `status-changed` only when its `version` is newer
  than the stored one; `done_at` is the earliest `done` (`$min`); the rating is `$set` once. The
  public text and position are stored already redacted and rounded, and only for reports whose
  reporter chose `public`: the raw description and the exact position never reach this database.
- `stays`: one document per arrival of a report at a unit (`<report_id>:<version>`), the
  denominator of each unit's on-time ratio.
- `breaches`: one document per breached assignment (`assignment_id`), with its kinds.

Every write commutes with the others, so within a Kafka batch they are left for one unordered
bulk write at its end (`aduan_shared.bulk`); outside a batch each is sent at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any, Protocol

from aduan_shared.bulk import write
from aduan_shared.events import (
    ReportRated,
    ReportReceived,
    ReportRouted,
    ReportState,
    SlaBreached,
    StatusChanged,
)
from aduan_shared.mongo import Document
from aduan_shared.privacy import redact, round_coordinate
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from aduan_analytics.domain import PublicFilter, UnitFigures

ARRIVALS = {ReportState.WAITING, ReportState.DISPOSITION}
NOT_A_UNIT = {"crm-admin", "verifier"}


def _public_fields(
    visibility: str, description: str, lat: float | None, lon: float | None
) -> dict[str, Any]:
    if visibility != "public":
        return {"description": None, "lat": None, "lon": None}
    return {
        "description": redact(description),
        "lat": None if lat is None else round_coordinate(lat),
        "lon": None if lon is None else round_coordinate(lon),
    }


class ReadModel(Protocol):
    async def received(self, event: ReportReceived) -> None: ...
    async def routed(self, event: ReportRouted) -> None: ...
    async def status_changed(self, event: StatusChanged) -> None: ...
    async def rated(self, event: ReportRated) -> None: ...
    async def breached(self, event: SlaBreached) -> None: ...


class MongoReadModel:
    def __init__(self, db: AsyncDatabase[Document], tz: tzinfo) -> None:
        self._reports = db["reports"]
        self._stays = db["stays"]
        self._breaches = db["breaches"]
        self._tz = tz

    async def ensure_indexes(self) -> None:
        await self._reports.create_index("state")
        await self._reports.create_index("received_day")
        await self._reports.create_index("done_day")
        await self._reports.create_index("visibility")
        await self._stays.create_index("unit_id")
        await self._breaches.create_index("unit_id")

    def _day(self, at: datetime) -> str:
        return at.astimezone(self._tz).date().isoformat()

    # --- writing ----------------------------------------------------------------------------

    async def received(self, event: ReportReceived) -> None:
        loc = event.location
        await write(
            self._reports,
            UpdateOne(
                {"_id": str(event.report_id)},
                {
                    "$setOnInsert": {"state": ReportState.RECEIVED.value, "version": 0},
                    "$set": {
                        "tracking_code": event.tracking_code,
                        "channel": event.channel,
                        "received_at": event.submitted_at,
                        "received_day": self._day(event.submitted_at),
                        "visibility": event.visibility,
                        "category_given": event.category,
                        **_public_fields(
                            event.visibility,
                            event.description,
                            loc.lat if loc else None,
                            loc.lon if loc else None,
                        ),
                    },
                },
                upsert=True,
            ),
        )

    async def routed(self, event: ReportRouted) -> None:
        loc = event.location
        fields: dict[str, Any] = {
            "tracking_code": event.tracking_code,
            "channel": event.channel,
            "visibility": event.visibility,
            "category": event.category,
            "routed_unit_id": event.unit_id,
            "recurrence": event.recurrence_of is not None,
            **_public_fields(
                event.visibility,
                event.description,
                loc.lat if loc else None,
                loc.lon if loc else None,
            ),
        }
        for level in ("kelurahan", "kecamatan", "kota"):
            area = getattr(event, level)
            fields[f"{level}_kode"] = area.kode if area else None
            fields[f"{level}_name"] = area.name if area else None
        if event.submitted_at is not None:
            fields["received_at"] = event.submitted_at
            fields["received_day"] = self._day(event.submitted_at)
        await write(
            self._reports,
            UpdateOne(
                {"_id": str(event.report_id)},
                {
                    "$setOnInsert": {"state": ReportState.RECEIVED.value, "version": 0},
                    "$set": fields,
                },
                upsert=True,
            ),
        )

    async def status_changed(self, event: StatusChanged) -> None:
        """The state only if newer than the stored one; done time and stays idempotently."""
        rid = str(event.report_id)
        await write(
            self._reports,
            UpdateOne(
                {"_id": rid, "version": {"$lt": event.version}},
                {
                    "$set": {
                        "state": event.to_state.value,
                        "version": event.version,
                        "unit_id": event.unit_id,
                    }
                },
                upsert=True,
            ),
            duplicate_is_stale=True,  # the stored version is as new or newer
        )
        if event.to_state is ReportState.DONE:
            done = {"done_at": event.occurred_at, "done_day": self._day(event.occurred_at)}
            await write(
                self._reports,
                UpdateOne(
                    {"_id": rid},
                    {"$min": done},
                    upsert=True,
                ),
            )
        if event.to_state in ARRIVALS and event.unit_id and event.unit_id not in NOT_A_UNIT:
            await write(
                self._stays,
                UpdateOne(
                    {"_id": f"{rid}:{event.version}"},
                    {"$set": {"report_id": rid, "unit_id": event.unit_id, "at": event.occurred_at}},
                    upsert=True,
                ),
            )

    async def rated(self, event: ReportRated) -> None:
        await write(
            self._reports,
            UpdateOne(
                {"_id": str(event.report_id)},
                {"$set": {"rating_stars": event.stars, "rated_unit_id": event.unit_id}},
                upsert=True,
            ),
        )

    async def breached(self, event: SlaBreached) -> None:
        await write(
            self._breaches,
            UpdateOne(
                {"_id": event.assignment_id},
                {
                    "$set": {"unit_id": event.unit_id, "report_id": str(event.report_id)},
                    "$addToSet": {"kinds": event.kind},
                },
                upsert=True,
            ),
        )

    # --- reading ----------------------------------------------------------------------------

    @staticmethod
    def match(f: PublicFilter, **extra: Any) -> Document:
        query: Document = dict(extra)
        days: Document = {}
        if f.since is not None:
            days["$gte"] = f.since.isoformat()
        if f.until is not None:
            days["$lte"] = f.until.isoformat()
        if days:
            query["received_day"] = days
        if f.kota is not None:
            query["kota_kode"] = f.kota
        if f.category is not None:
            query["category"] = f.category
        return query

    async def _group(self, query: Document, field: str) -> dict[Any, int]:
        pipeline: list[Document] = [
            {"$match": query},
            {"$group": {"_id": f"${field}", "n": {"$sum": 1}}},
        ]
        cursor = await self._reports.aggregate(pipeline)
        return {doc["_id"]: int(doc["n"]) async for doc in cursor}

    async def counts_by_state(self, f: PublicFilter) -> dict[str, int]:
        return {str(k): v for k, v in (await self._group(self.match(f), "state")).items()}

    async def counts_by(self, f: PublicFilter, field: str, *, done: bool = False) -> dict[Any, int]:
        extra = {"state": ReportState.DONE.value} if done else {}
        return await self._group(self.match(f, **extra), field)

    async def done_by_day(self, f: PublicFilter) -> dict[str, int]:
        query = self.match(PublicFilter(kota=f.kota, category=f.category))
        days: Document = {"$ne": None}
        if f.since is not None:
            days["$gte"] = f.since.isoformat()
        if f.until is not None:
            days["$lte"] = f.until.isoformat()
        query["done_day"] = days
        return {str(k): v for k, v in (await self._group(query, "done_day")).items()}

    async def resolution_hours(self, f: PublicFilter) -> list[float]:
        """Received → first done, in hours, of the reports done now."""
        cursor = self._reports.find(
            self.match(f, state=ReportState.DONE.value), {"received_at": 1, "done_at": 1}
        )
        return [
            (doc["done_at"] - doc["received_at"]).total_seconds() / 3600
            async for doc in cursor
            if doc.get("received_at") and doc.get("done_at")
        ]

    async def unit_figures(self) -> dict[str, UnitFigures]:
        async def group(coll: Any, match: Document, key: str, sum_of: Any = 1) -> dict[str, int]:
            pipeline: list[Document] = [
                {"$match": match},
                {"$group": {"_id": f"${key}", "n": {"$sum": sum_of}}},
            ]
            cursor = await coll.aggregate(pipeline)
            return {str(d["_id"]): int(d["n"]) async for d in cursor if d["_id"] is not None}

        stays = await group(self._stays, {}, "unit_id")
        breached = await group(self._breaches, {}, "unit_id")
        reports = await group(self._reports, {"routed_unit_id": {"$ne": None}}, "routed_unit_id")
        recurrent = await group(
            self._reports, {"routed_unit_id": {"$ne": None}, "recurrence": True}, "routed_unit_id"
        )
        rated = {"rating_stars": {"$ne": None}, "rated_unit_id": {"$ne": None}}
        ratings = await group(self._reports, rated, "rated_unit_id")
        stars = await group(self._reports, rated, "rated_unit_id", "$rating_stars")
        units = set(stays) | set(breached) | set(reports) | set(ratings)
        return {
            u: UnitFigures(
                stays=stays.get(u, 0),
                breached=breached.get(u, 0),
                reports=reports.get(u, 0),
                recurrent=recurrent.get(u, 0),
                ratings=ratings.get(u, 0),
                stars=stars.get(u, 0),
            )
            for u in units
        }

    async def public_reports(
        self,
        f: PublicFilter,
        bbox: tuple[float, float, float, float] | None = None,
        limit: int | None = None,
    ) -> list[Mapping[str, Any]]:
        """Public reports only (newest first), their stored redacted fields."""
        query = self.match(f, visibility="public")
        if bbox is not None:
            west, south, east, north = bbox
            query["lon"] = {"$gte": west, "$lte": east}
            query["lat"] = {"$gte": south, "$lte": north}
        cursor = self._reports.find(query).sort([("received_at", -1), ("_id", 1)])
        if limit is not None:
            cursor = cursor.limit(limit)
        return [doc async for doc in cursor]

    async def private_count(self, f: PublicFilter) -> int:
        return await self._reports.count_documents(self.match(f, visibility={"$ne": "public"}))
