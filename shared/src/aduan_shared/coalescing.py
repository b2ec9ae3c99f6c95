"""Database calls of concurrent handlers, sent together: one bulk write or one `$in` query for
all the calls made in the same turn of the event loop.

A Kafka batch's handlers run concurrently, one per report (`aduan_shared.consuming`), and each
used to send its own `update_one` or `find_one`: one round trip each, and the development
database spends about 220 µs of CPU on a single operation but about 50 µs on each statement of a
bulk write (`make bench`, section db). Here each caller still awaits its own call and gets its
own answer before it goes on (it may then publish what it wrote, or read it back), so a handler
keeps the meaning of `update_one`/`find_one`; only the round trips are shared.

- `Writes(collection)`: `update_one`, `replace_one` and `insert_one` are queued, and at the end
  of the turn sent as one unordered bulk write (a lone call as itself: a bulk write of one
  costs the client more CPU than the call). Each caller gets whether its own statement
  inserted a document (upserted or inserted), or its own error (a duplicate key as
  `DuplicateKeyError`, any other statement error as `WriteError`); a failure of the whole
  command (the server away) reaches every caller. A bulk write's reply does not say which
  statements matched, so callers that need their own matched count use `update_one` directly.
- `Reads(collection, projection)`: `by_id` is queued, and the turn's ids go in one
  `find({_id: {$in: …}})` (a lone one as `find_one`); each caller gets its document, or None.

Calls queued in one turn come from different callers: a caller's own calls are awaited one after
the other, so they keep their order (one report's writes apply in the order its handler made
them). Outside a batch, a call is usually alone in its turn, and sent as itself.

**Group commit.** HTTP requests seldom share a turn, so under load each would still make its own
round trip. A coalescer therefore has at most `in_flight` sends out at once (default 1): calls
made while that many are out wait, and go together as one send when one returns. An idle
service sends a call at once, as before; a busy one sends fewer, larger bulks, each caller
waiting at most for the send already out.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

DUPLICATE_KEY = 11000

WriteOp = UpdateOne | ReplaceOne | InsertOne


@dataclass
class _Turn:
    """The calls queued in one turn of the event loop, and their callers' futures."""

    items: list[Any] = field(default_factory=list)
    waiting: list[asyncio.Future[Any]] = field(default_factory=list)


class _Coalescer:
    """Queues calls; at the end of the turn in which the first was queued, sends them all, or,
    with `in_flight` sends already out, when the first of those returns."""

    def __init__(self, in_flight: int = 1) -> None:
        if in_flight < 1:
            raise ValueError("in_flight must be at least 1")
        self.in_flight = in_flight
        self._turn: _Turn | None = None  # the calls not sent yet
        self._dispatch_due = False  # a _dispatch is scheduled on the loop
        self._sending: set[asyncio.Task[None]] = set()

    async def _queue(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self._turn is None:
            self._turn = _Turn()
            if len(self._sending) < self.in_flight and not self._dispatch_due:
                self._dispatch_due = True  # after every task already ready has had its step
                loop.call_soon(self._dispatch)
            # else: the send that returns first dispatches them (_sent)
        future: asyncio.Future[Any] = loop.create_future()
        self._turn.items.append(item)
        self._turn.waiting.append(future)
        return await future

    def _dispatch(self) -> None:
        self._dispatch_due = False
        turn, self._turn = self._turn, None
        if turn is None:
            return
        task = asyncio.create_task(self._answer(turn))
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if self._turn is not None and not self._dispatch_due:  # calls that waited for it
            self._dispatch_due = True
            asyncio.get_running_loop().call_soon(self._dispatch)

    async def _answer(self, turn: _Turn) -> None:
        try:
            answers = await self._send(turn.items)
        except asyncio.CancelledError:  # shutting down: so are the callers
            for future in turn.waiting:
                future.cancel()
            raise
        except Exception as exc:  # every caller gets the failure (the server away, …)
            for future in turn.waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, answer in zip(turn.waiting, answers, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(answer, Exception):
                future.set_exception(answer)
            else:
                future.set_result(answer)

    async def _send(self, items: list[Any]) -> list[Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class _Write:
    """One queued write: `kind` is update, replace or insert."""

    kind: str
    filter: dict[str, Any]
    document: Any  # the update (operators or a pipeline), the replacement, or the new document
    upsert: bool = False

    def op(self) -> WriteOp:
        if self.kind == "insert":
            return InsertOne(self.document)
        if self.kind == "replace":
            return ReplaceOne(self.filter, self.document, upsert=self.upsert)
        return UpdateOne(self.filter, self.document, upsert=self.upsert)


class Writes(_Coalescer):
    """One collection's writes, coalesced into unordered bulk writes."""

    def __init__(self, collection: AsyncCollection[Any], in_flight: int = 1) -> None:
        super().__init__(in_flight)
        self.collection = collection

    async def update_one(
        self, filter: Mapping[str, Any], update: Any, *, upsert: bool = False
    ) -> bool:
        """As `update_one`; True if it inserted a document (an upsert that matched nothing)."""
        inserted: bool = await self._queue(_Write("update", dict(filter), update, upsert))
        return inserted

    async def replace_one(
        self, filter: Mapping[str, Any], document: Mapping[str, Any], *, upsert: bool = False
    ) -> bool:
        """As `replace_one`; True if it inserted a document."""
        inserted: bool = await self._queue(_Write("replace", dict(filter), dict(document), upsert))
        return inserted

    async def insert_one(self, document: Mapping[str, Any]) -> None:
        """As `insert_one`: DuplicateKeyError if the `_id` (or a unique key) is taken."""
        await self._queue(_Write("insert", {}, dict(document)))

    async def _send(self, items: list[_Write]) -> list[bool | Exception]:
        if len(items) == 1:
            return [await self._alone(items[0])]
        details: Mapping[str, Any]
        try:
            result = await self.collection.bulk_write([w.op() for w in items], ordered=False)
            details = result.bulk_api_result
        except BulkWriteError as exc:
            if exc.details.get("writeConcernErrors"):
                raise
            details = exc.details
        failed = {e["index"]: _error(e) for e in details.get("writeErrors", [])}
        upserted = {u["index"] for u in details.get("upserted", [])}
        return [failed.get(i, i in upserted or w.kind == "insert") for i, w in enumerate(items)]

    async def _alone(self, w: _Write) -> bool:
        """The one call of its turn, made as itself (its error raised as it comes)."""
        if w.kind == "insert":
            await self.collection.insert_one(w.document)
            return True
        if w.kind == "replace":
            replaced = await self.collection.replace_one(w.filter, w.document, upsert=w.upsert)
            return replaced.upserted_id is not None
        updated = await self.collection.update_one(w.filter, w.document, upsert=w.upsert)
        return updated.upserted_id is not None


def _error(detail: dict[str, Any]) -> Exception:
    """The exception `update_one`/`insert_one` would have raised for this statement."""
    message = str(detail.get("errmsg", "write error"))
    if detail.get("code") == DUPLICATE_KEY:
        return DuplicateKeyError(message, DUPLICATE_KEY, detail)
    return WriteError(message, detail.get("code"), detail)


class Reads(_Coalescer):
    """One collection's reads by `_id`, coalesced into `$in` queries."""

    def __init__(
        self,
        collection: AsyncCollection[Any],
        projection: Mapping[str, Any] | None = None,
        in_flight: int = 1,
    ) -> None:
        super().__init__(in_flight)
        self.collection = collection
        self.projection = dict(projection) if projection is not None else None

    async def by_id(self, id: Any) -> dict[str, Any] | None:
        """As `find_one({"_id": id}, projection)`."""
        document: dict[str, Any] | None = await self._queue(id)
        return document

    async def _send(self, items: list[Any]) -> list[dict[str, Any] | None]:
        if len(items) == 1:
            return [await self.collection.find_one({"_id": items[0]}, self.projection)]
        wanted = list(dict.fromkeys(items))
        found = {
            doc["_id"]: doc
            async for doc in self.collection.find({"_id": {"$in": wanted}}, self.projection)
        }
        answers: list[dict[str, Any] | None] = []
        given: set[Any] = set()
        for id in items:  # a document asked for twice is given to the second caller as a copy
            doc = found.get(id)
            answers.append(copy.deepcopy(doc) if id in given else doc)
            given.add(id)
        return answers
