"""Idempotent consumption: one record per processed `event_id`; a redelivery has no effect."""

from __future__ import annotations

from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from aduan_shared.events import Event, utcnow
from aduan_shared.mongo import Document


class Inbox(Protocol):
    async def first_time(self, event: Event) -> bool:
        """Record the event; True the first time it is seen, False on every redelivery."""
        ...


class MongoInbox:
    def __init__(self, db: AsyncDatabase[Document], collection: str = "inbox") -> None:
        self._seen = db[collection]

    async def first_time(self, event: Event) -> bool:
        try:
            await self._seen.insert_one(
                {
                    "_id": str(event.event_id),
                    "topic": event.TOPIC,
                    "report_id": str(event.report_id),
                    "seen_at": utcnow(),
                }
            )
        except DuplicateKeyError:
            return False
        return True


class MemoryInbox:
    """The in-memory inbox of handler tests."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    async def first_time(self, event: Event) -> bool:
        key = str(event.event_id)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True
