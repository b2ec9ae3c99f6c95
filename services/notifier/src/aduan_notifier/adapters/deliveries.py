"""MongoDB delivery records: one per (event, recipient), written before anything is sent.

The record is the at-most-once guard. States:

    pending ──claim──▶ sending ──▶ sent | failed | gave_up
       ▲                  │
       └──── retry ───────┘   (transient failure, `next_attempt_at` later, attempts left)
    pending ──▶ failed        (nobody to send to: no contact, unit without contact)
    sending ──▶ unknown       (still `sending` long after its claim: the process died mid-send)

`claim` is an atomic pending→sending change with a fresh token, so one dispatcher sends; every
later change is conditional on `status: sending` and that token (the record is checked after the
send). A delivery found `sending` after a crash may or may not have reached the recipient: it is
marked `unknown` (published as outcome `failed`) and never sent again — at most once, not at
least once. Final records carry `outcome` and `outcome_published`, so the `notification.sent`
event is published (again, identically) until the broker acknowledged it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aduan_shared.coalescing import Reads, Writes
from aduan_shared.events import Event, ReportReceived, StatusAsked, StatusChanged, utcnow
from aduan_shared.mongo import Document
from pymongo.asynchronous.database import AsyncDatabase

from aduan_notifier.domain import Notification

FINAL = ("sent", "failed", "gave_up", "unknown")


@dataclass(frozen=True)
class Delivery:
    id: str
    report_id: str
    topic: str
    correlation_id: str
    recipient_kind: str
    recipient: str
    template: str
    text: str
    params: dict[str, str]
    status: str
    attempts: int
    created_at: datetime
    source_channel: str | None = None
    reply_external_id: str | None = None
    channel: str | None = None
    outcome: str | None = None
    error: str | None = None
    event_id: str | None = None
    finished_at: datetime | None = None

    @classmethod
    def from_doc(cls, doc: Document) -> Delivery:
        return cls(
            id=doc["_id"],
            report_id=doc["report_id"],
            topic=doc["topic"],
            correlation_id=doc.get("correlation_id") or "",
            recipient_kind=doc["recipient_kind"],
            recipient=doc["recipient"],
            template=doc["template"],
            text=doc.get("text") or "",
            params=dict(doc.get("params") or {}),
            status=doc["status"],
            attempts=int(doc.get("attempts", 0)),
            created_at=doc["created_at"],
            source_channel=doc.get("source_channel"),
            reply_external_id=doc.get("reply_external_id"),
            channel=doc.get("channel"),
            outcome=doc.get("outcome"),
            error=doc.get("error"),
            event_id=doc.get("event_id"),
            finished_at=doc.get("finished_at"),
        )


def delivery_key(event: Event, notification: Notification) -> str:
    return f"{event.event_id}:{notification.recipient_kind}:{notification.recipient}"


def _origin(event: Event) -> tuple[str | None, str | None]:
    """The channel the event's report or question came from, and the message to reply to."""
    if isinstance(event, ReportReceived | StatusAsked):
        return event.channel, event.external_id
    if isinstance(event, StatusChanged):
        return event.channel, None
    return None, None


class DeliveryStore(Protocol):
    async def plan(self, event: Event, notification: Notification) -> bool:
        """Record the delivery; True if it is new (to be sent), False if already recorded."""
        ...

    async def for_report(self, report_id: str) -> list[dict[str, Any]]:
        """The deliveries recorded for a report, oldest first."""
        ...


class DispatchStore(Protocol):
    """What the dispatcher needs of the delivery records (MongoDeliveryStore; fakes in tests)."""

    async def due(self, now: datetime, limit: int) -> list[Delivery]: ...

    async def postpone(self, delivery_id: str, until: datetime, reason: str) -> None: ...

    async def claim(
        self, delivery_id: str, token: str, channel: str, now: datetime
    ) -> Delivery | None: ...

    async def retry(self, delivery_id: str, token: str, at: datetime, error: str) -> bool: ...

    async def finish(
        self,
        delivery_id: str,
        token: str | None,
        *,
        status: str,
        channel: str,
        now: datetime,
        error: str | None = None,
    ) -> bool: ...

    async def mark_lost(self, now: datetime, sending_before: datetime) -> int: ...

    async def unpublished(self, limit: int) -> list[Delivery]: ...

    async def mark_published(self, delivery_ids: Sequence[str]) -> None: ...


class MongoDeliveryStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._deliveries = db["deliveries"]
        # The handlers' plans of one batch go in one bulk write (aduan_shared.coalescing).
        self._plans = Writes(self._deliveries)
        # The dispatcher's concurrent claims and finishes: one bulk write and one query each.
        self._claims, self._claimed = Writes(self._deliveries), Reads(self._deliveries)
        self._finishes, self._finished = Writes(self._deliveries), Reads(self._deliveries)
        self._postpones = Writes(self._deliveries)

    async def ensure_indexes(self) -> None:
        await self._deliveries.create_index([("status", 1), ("next_attempt_at", 1)])
        await self._deliveries.create_index([("report_id", 1), ("created_at", 1)])
        await self._deliveries.create_index("outcome_published", sparse=True)

    async def plan(self, event: Event, notification: Notification) -> bool:
        now = utcnow()
        source_channel, reply_to = _origin(event)
        return await self._plans.update_one(
            {"_id": delivery_key(event, notification)},
            {
                "$setOnInsert": {
                    "report_id": str(event.report_id),
                    "event_id": str(event.event_id),
                    "topic": event.TOPIC,
                    "correlation_id": event.correlation_id,
                    "recipient_kind": notification.recipient_kind,
                    "recipient": notification.recipient,
                    "template": notification.template,
                    "text": notification.text,
                    "params": notification.params,
                    "source_channel": source_channel,
                    "reply_external_id": reply_to,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            },
            upsert=True,
        )

    async def for_report(self, report_id: str) -> list[dict[str, Any]]:
        cursor = self._deliveries.find({"report_id": report_id}, {"claim": 0}).sort("created_at", 1)
        return [{**doc, "id": doc.pop("_id")} async for doc in cursor]

    async def get(self, delivery_id: str) -> Delivery | None:
        doc = await self._deliveries.find_one({"_id": delivery_id})
        return Delivery.from_doc(doc) if doc else None

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries whose time has come, the longest waiting first."""
        cursor = (
            self._deliveries.find({"status": "pending", "next_attempt_at": {"$lte": now}})
            .sort("next_attempt_at", 1)
            .limit(limit)
        )
        return [Delivery.from_doc(doc) async for doc in cursor]

    async def postpone(self, delivery_id: str, until: datetime, reason: str) -> None:
        """Not now (breaker open, rate limit, report not known yet): no attempt is counted.
        The postponements of one step go as one bulk write."""
        await self._postpones.update_one(
            {"_id": delivery_id, "status": "pending"},
            {"$set": {"next_attempt_at": until, "waiting_for": reason}},
        )

    async def claim(
        self, delivery_id: str, token: str, channel: str, now: datetime
    ) -> Delivery | None:
        """pending → sending, counting the attempt; None if another dispatcher has it.

        The claim is a conditional write and a read of the record, each coalesced with the
        other deliveries the dispatcher handles at once: the record is ours if it carries our
        token (only a pending record takes a token, and only `mark_lost` or our own calls
        change a claimed one)."""
        await self._claims.update_one(
            {"_id": delivery_id, "status": "pending"},
            {
                "$set": {
                    "status": "sending",
                    "claim": token,
                    "sending_at": now,
                    "channel": channel,
                },
                "$inc": {"attempts": 1},
                "$unset": {"waiting_for": ""},
            },
        )
        doc = await self._claimed.by_id(delivery_id)
        if doc is None or doc.get("claim") != token or doc.get("status") != "sending":
            return None
        return Delivery.from_doc(doc)

    async def retry(self, delivery_id: str, token: str, at: datetime, error: str) -> bool:
        """sending → pending again at `at`; False if the claim was lost meanwhile."""
        result = await self._deliveries.update_one(
            {"_id": delivery_id, "status": "sending", "claim": token},
            {"$set": {"status": "pending", "next_attempt_at": at, "error": error}},
        )
        return result.modified_count == 1

    async def finish(
        self,
        delivery_id: str,
        token: str | None,
        *,
        status: str,
        channel: str,
        now: datetime,
        error: str | None = None,
    ) -> bool:
        """sending (with `token`) or, without a token, pending → a final status whose outcome
        is still to be published; False if the record was not in that state.

        A claimed delivery's finish is a conditional write and a read, each coalesced with the
        other deliveries finishing at once (as `claim`): it took if the record carries our token
        with our status and error (only `mark_lost` changes a claimed record otherwise, and it
        writes its own error)."""
        if status not in FINAL:
            raise ValueError(f"{status} is not a final status")
        outcome = "failed" if status == "unknown" else status
        update = {
            "$set": {
                "status": status,
                "outcome": outcome,
                "channel": channel,
                "error": error,
                "finished_at": now,
                "outcome_published": False,
            }
        }
        if token is None:  # pending → final: the match alone says whether it took
            result = await self._deliveries.update_one(
                {"_id": delivery_id, "status": "pending"}, update
            )
            return result.modified_count == 1
        await self._finishes.update_one(
            {"_id": delivery_id, "status": "sending", "claim": token}, update
        )
        doc = await self._finished.by_id(delivery_id)
        return (
            doc is not None
            and doc.get("claim") == token
            and doc.get("status") == status
            and doc.get("error") == error
        )

    async def mark_lost(self, now: datetime, sending_before: datetime) -> int:
        """`sending` claims older than `sending_before` → `unknown` (never resent)."""
        result = await self._deliveries.update_many(
            {"status": "sending", "sending_at": {"$lt": sending_before}},
            {
                "$set": {
                    "status": "unknown",
                    "outcome": "failed",
                    "error": "unknown_after_crash",
                    "finished_at": now,
                    "outcome_published": False,
                }
            },
        )
        return result.modified_count

    async def unpublished(self, limit: int) -> list[Delivery]:
        cursor = self._deliveries.find({"outcome_published": False}).limit(limit)
        return [Delivery.from_doc(doc) async for doc in cursor]

    async def mark_published(self, delivery_ids: Sequence[str]) -> None:
        await self._deliveries.update_many(
            {"_id": {"$in": list(delivery_ids)}}, {"$set": {"outcome_published": True}}
        )
