"""MongoDB delivery records: one per (event, recipient), written before anything is sent."""

from __future__ import annotations

from typing import Any, Protocol

from aduan_shared.events import Event, utcnow
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

from aduan_notifier.domain import Notification


class DeliveryStore(Protocol):
    async def plan(self, event: Event, notification: Notification) -> bool:
        """Record the delivery; True if it is new (to be sent), False if already recorded."""
        ...

    async def for_report(self, report_id: str) -> list[dict[str, Any]]:
        """The deliveries recorded for a report, oldest first."""
        ...


class MongoDeliveryStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._deliveries = db["deliveries"]

    async def ensure_indexes(self) -> None:
        await self._deliveries.create_index("status")
        await self._deliveries.create_index([("report_id", 1), ("created_at", 1)])

    async def plan(self, event: Event, notification: Notification) -> bool:
        key = f"{event.event_id}:{notification.recipient_kind}:{notification.recipient}"
        result = await self._deliveries.update_one(
            {"_id": key},
            {
                "$setOnInsert": {
                    "report_id": str(event.report_id),
                    "topic": event.TOPIC,
                    "recipient_kind": notification.recipient_kind,
                    "recipient": notification.recipient,
                    "template": notification.template,
                    "text": notification.text,
                    "params": notification.params,
                    "status": "pending",
                    "created_at": utcnow(),
                }
            },
            upsert=True,
        )
        return result.upserted_id is not None

    async def for_report(self, report_id: str) -> list[dict[str, Any]]:
        cursor = self._deliveries.find({"report_id": report_id}).sort("created_at", 1)
        return [{**doc, "id": doc.pop("_id")} async for doc in cursor]
