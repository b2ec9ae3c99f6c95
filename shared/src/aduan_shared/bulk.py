"""Writes a Kafka batch's handlers leave for the end of the batch: one bulk write per collection.

The development database spends about 250 µs of CPU on each operation it is sent, and about
70–100 µs per operation of a bulk write (`make bench`, section db), so a read model fed by
hundreds of events a second is cheaper written in bulk. Only writes that

- nobody reads the result of, and
- commute with each other (upserts of the same values, version-guarded `$set`, `$min`, …)

may be deferred: they are sent unordered, after every event of the batch was handled, and
before its offsets are committed (a failed bulk write fails the batch, which is redelivered).
Outside a batch (an API call, a test, a replay) `write` sends the operation at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


@dataclass
class _Op:
    op: UpdateOne
    duplicate_is_stale: bool  # a version-guarded upsert: a duplicate _id means "stored is newer"


@dataclass
class DeferredWrites:
    """The writes of one batch, per collection, in the order they were made."""

    _ops: dict[int, tuple[AsyncCollection[Any], list[_Op]]] = field(default_factory=dict)

    def add(self, collection: AsyncCollection[Any], op: _Op) -> None:
        self._ops.setdefault(id(collection), (collection, []))[1].append(op)

    def __len__(self) -> int:
        return sum(len(ops) for _, ops in self._ops.values())

    async def flush(self) -> None:
        for collection, ops in self._ops.values():
            await _bulk(collection, ops)
        self._ops.clear()


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
    item = _Op(op, duplicate_is_stale)
    writes = _deferred.get()
    if writes is None:
        await _bulk(collection, [item])
    else:
        writes.add(collection, item)


async def _bulk(collection: AsyncCollection[Any], ops: list[_Op]) -> None:
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
