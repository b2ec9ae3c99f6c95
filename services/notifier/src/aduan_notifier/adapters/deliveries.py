"""MongoDB delivery records: one per (event, recipient), written before anything is sent."""

from __future__ import annotations

from typing import Protocol

from aduan_shared.events import Event, utcnow
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

from aduan_notifier.domain import Notification


class DeliveryStore(Protocol):
    async def plan(self, event: Event, notification: Notification) -> bool:
        """Record the delivery; True if it is new (to be sent), False if already recorded."""
        ...


class MongoDeliveryStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._deliveries = db["deliveries"]

    async def ensure_indexes(self) -> None:
        await self._deliveries.create_index("status")

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
                    "status": "pending",
                    "created_at": utcnow(),
                }
            },
            upsert=True,
        )
        return result.upserted_id is not None
