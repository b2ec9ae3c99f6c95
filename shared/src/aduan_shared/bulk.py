"""Writes a Kafka batch's handlers leave for the end of the batch: one bulk write per collection.

The development database spends about 250 µs of CPU on each operation it is sent, and about
70–100 µs per operation of a bulk write (`make bench`, section db), so a read model fed by
hundreds of events a second is cheaper written in bulk. Only writes that

- nobody reads the result of, and
- commute with each other (upserts of the same values, version-guarded `$set`, `$min`, …)

may be deferred: they are sent unordered, after every event of the batch was handled, and
before its offsets are committed (a failed bulk write fails the batch, which is redelivered).
`write_in_order` defers a group of operations that must apply in their order (a document's
replacement, then the removal of what it no longer has): those go in one ordered bulk write,
after the handlers' earlier groups on the same collection. Outside a batch (an API call, a
test, a replay) both send at once.
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
class DeferredWrites:
    """The writes of one batch, per collection and kind (unordered, ordered), in the order they
    were made."""

    _ops: dict[tuple[int, bool], tuple[AsyncCollection[Any], list[_Op]]] = field(
        default_factory=dict
    )

    def add(self, collection: AsyncCollection[Any], ops: list[_Op], ordered: bool) -> None:
        self._ops.setdefault((id(collection), ordered), (collection, []))[1].extend(ops)

    def __len__(self) -> int:
        return sum(len(ops) for _, ops in self._ops.values())

    async def flush(self) -> None:
        for (_, ordered), (collection, ops) in self._ops.items():
            await _bulk(collection, ops, ordered)
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
    await _defer(collection, [_Op(op, duplicate_is_stale)], ordered=False)


async def write_in_order(collection: AsyncCollection[Any], ops: list[Operation]) -> None:
    """Send `ops` as one ordered bulk write, or leave them, in order, for the end of the batch;
    any error fails it (a failed batch is redelivered and the group rewritten whole)."""
    await _defer(collection, [_Op(op, False) for op in ops], ordered=True)


async def _defer(collection: AsyncCollection[Any], ops: list[_Op], ordered: bool) -> None:
    writes = _deferred.get()
    if writes is None:
        await _bulk(collection, ops, ordered)
    else:
        writes.add(collection, ops, ordered)


async def _bulk(collection: AsyncCollection[Any], ops: list[_Op], ordered: bool) -> None:
    if not ops:
        return
    try:
        await collection.bulk_write([o.op for o in ops], ordered=ordered)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        real = [
            e
            for e in errors
            if not (e.get("code") == DUPLICATE_KEY and ops[e["index"]].duplicate_is_stale)
        ]
        if real or exc.details.get("writeConcernErrors"):
            raise
