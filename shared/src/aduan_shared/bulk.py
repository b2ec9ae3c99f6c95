"""Writes a Kafka batch's handlers leave for the end of the batch: one bulk write per collection.

The development database spends about 250 µs of CPU on each operation it is sent, and about
70–100 µs per operation of a bulk write (`make bench`, section db), so a read model fed by
hundreds of events a second is cheaper written in bulk. Only writes that

- nobody reads the result of, and
- commute with each other (upserts of the same values, version-guarded `$set`, `$min`, …)

may be deferred: they are sent unordered, after every event of the batch was handled, and
before its offsets are committed (a failed bulk write fails the batch, which is redelivered).
`restate` defers a restatement of everything a key owns (a report's clock rows upserted, and
the rows it no longer has removed): within a batch only the key's last restatement is sent, as
it supersedes the earlier ones, and its operations go unordered with the rest (they must not
depend on each other's order: an upsert of the rows kept and a removal of the others do not).
A batch's writes to a collection are thus one bulk write, one command per kind of operation,
however many reports it holds. Outside a batch (an API call, a test, a replay) both send at
once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pymongo import DeleteMany, ReplaceOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


Operation = UpdateOne | ReplaceOne | DeleteMany


@dataclass
class _Op:
    op: Operation
    duplicate_is_stale: bool  # a version-guarded upsert: a duplicate _id means "stored is newer"


@dataclass
class _Collection:
    collection: AsyncCollection[Any]
    ops: list[_Op] = field(default_factory=list)
    restated: dict[str, list[_Op]] = field(default_factory=dict)  # key → its last restatement

    def all(self) -> list[_Op]:
        return [*self.ops, *(op for ops in self.restated.values() for op in ops)]


@dataclass
class DeferredWrites:
    """The writes of one batch, per collection."""

    _collections: dict[int, _Collection] = field(default_factory=dict)

    def of(self, collection: AsyncCollection[Any]) -> _Collection:
        return self._collections.setdefault(id(collection), _Collection(collection))

    def __len__(self) -> int:
        return sum(len(c.all()) for c in self._collections.values())

    async def flush(self) -> None:
        for c in self._collections.values():
            await _bulk(c.collection, c.all())
        self._collections.clear()


_deferred: ContextVar[DeferredWrites | None] = ContextVar("aduan_deferred_writes", default=None)


@contextmanager
def deferring() -> Iterator[DeferredWrites]:
    """Within this block (and the tasks it starts), `write` collects instead of sending."""
    writes = DeferredWrites()
    token = _deferred.set(writes)
    try:
        yield writes
    finally:
        _deferred.reset(token)


async def write(
    collection: AsyncCollection[Any], op: UpdateOne, *, duplicate_is_stale: bool = False
) -> None:
    """Send `op`, or leave it for the end of the batch being handled.

    `duplicate_is_stale`: the op is an upsert guarded by a filter beyond `_id` (say, an older
    version); a duplicate-key error then means the stored document is newer and is ignored."""
    writes = _deferred.get()
    if writes is None:
        await _bulk(collection, [_Op(op, duplicate_is_stale)])
    else:
        writes.of(collection).ops.append(_Op(op, duplicate_is_stale))


async def restate(collection: AsyncCollection[Any], key: str, ops: list[Operation]) -> None:
    """Send `ops`, all that `key` owns in `collection`, or leave them for the end of the batch,
    where only the key's last restatement goes; any error fails it (a failed batch is
    redelivered and the key restated whole)."""
    writes = _deferred.get()
    if writes is None:
        await _bulk(collection, [_Op(op, False) for op in ops])
    else:
        writes.of(collection).restated[key] = [_Op(op, False) for op in ops]


async def _bulk(collection: AsyncCollection[Any], ops: list[_Op]) -> None:
    if not ops:
        return
    try:
        await collection.bulk_write([o.op for o in ops], ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        real = [
            e
            for e in errors
            if not (e.get("code") == DUPLICATE_KEY and ops[e["index"]].duplicate_is_stale)
        ]
        if real or exc.details.get("writeConcernErrors"):
            raise
