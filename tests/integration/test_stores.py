"""Store behaviour that depends on the database server itself (run on the real one)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aduan_notifier.adapters.deliveries import MongoDeliveryStore
from aduan_notifier.adapters.states import MongoReportStates
from aduan_shared.bulk import deferring, restate, write
from aduan_shared.coalescing import Reads, Writes
from aduan_shared.events import Actor, ReportState, StatusChanged
from aduan_shared.mongo import Document
from pymongo import AsyncMongoClient, DeleteMany, ReplaceOne, UpdateOne, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError


@pytest.fixture
async def db(servers: Any) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        servers.mongo_url, uuidRepresentation="standard"
    )
    name = f"aduan_test_{uuid.uuid4().hex[:8]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


def change(report: uuid.UUID, to: ReportState, version: int) -> StatusChanged:
    return StatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2026, 11, 22, version, tzinfo=UTC),
        report_id=report,
        correlation_id="c",
        from_state=None,
        to_state=to,
        unit_id="kelurahan:31.74.04.1005",
        actor=Actor(role="system", id="t"),
        version=version,
    )


async def test_notifier_keeps_the_latest_version_of_a_report_state(
    db: AsyncDatabase[Document],
) -> None:
    states = MongoReportStates(db)
    report = uuid.uuid4()
    assert await states.state_of(str(report)) is None
    await states.record(change(report, ReportState.IN_PROGRESS, 3))
    await states.record(change(report, ReportState.WAITING, 2))  # arrives late: ignored
    await states.record(change(report, ReportState.IN_PROGRESS, 3))  # redelivered: no-op
    assert await states.state_of(str(report)) == ReportState.IN_PROGRESS
    await states.record(change(report, ReportState.DONE, 4))
    assert await states.state_of(str(report)) == ReportState.DONE


async def test_disposition_outbox_keeps_what_was_not_yet_published(
    db: AsyncDatabase[Document],
) -> None:
    from aduan_disposition.adapters.cases import MongoCaseStore
    from aduan_disposition.domain import open_case
    from aduan_shared.events import ReportRouted, derived_event_id, tracking_code_for

    rid = uuid.uuid4()
    routed = ReportRouted.model_validate(
        {
            "event_id": derived_event_id(rid, "routed"),
            "occurred_at": datetime(2026, 11, 22, 1, tzinfo=UTC),
            "report_id": rid,
            "correlation_id": "c",
            "category": "Jalan",
            "category_source": "given",
            "method": "none",
            "needs_coordination": True,
            "reason": "no_location",
            "tracking_code": tracking_code_for(rid),
            "channel": "jaki",
        }
    )
    cases = MongoCaseStore(db)
    await cases.ensure_indexes()
    case = open_case(routed)
    first, second = change(rid, ReportState.COORDINATION, 1), change(rid, ReportState.WAITING, 2)
    await cases.create(case, first)
    await cases.replace(case.model_copy(update={"version": 2}), 1, second)
    assert [e.version for e in await cases.outbox(str(rid))] == [1, 2]

    await cases.published(str(rid), [str(first.event_id)])  # the second came in meanwhile
    assert [e.version for e in await cases.outbox(str(rid))] == [2]
    assert str(rid) in await cases.with_pending_events(10)

    await cases.published(str(rid), [str(second.event_id)])
    assert await cases.outbox(str(rid)) == []
    assert str(rid) not in await cases.with_pending_events(10)


async def test_deferred_writes_wait_for_the_flush_and_ignore_only_stale_duplicates(
    db: AsyncDatabase[Document],
) -> None:
    """aduan_shared.bulk on the real server: collected inside a batch, one unordered bulk write
    at its end; a version-guarded upsert meeting a newer version is no error, any other
    duplicate is."""
    docs = db["deferred"]
    await docs.insert_one({"_id": "r1", "version": 5, "state": "done"})

    def guarded(version: int, state: str) -> UpdateOne:
        return UpdateOne(
            {"_id": "r1", "version": {"$lt": version}},
            {"$set": {"version": version, "state": state}},
            upsert=True,
        )

    with deferring() as writes:
        await write(docs, guarded(3, "in_progress"), duplicate_is_stale=True)  # older: ignored
        await write(docs, UpdateOne({"_id": "r2"}, {"$set": {"n": 1}}, upsert=True))
        assert len(writes) == 2 and await docs.count_documents({}) == 1  # nothing sent yet
        await writes.flush()
    assert await docs.find_one({"_id": "r1"}) == {"_id": "r1", "version": 5, "state": "done"}
    assert await docs.find_one({"_id": "r2"}) == {"_id": "r2", "n": 1}

    await write(docs, guarded(6, "reopened"), duplicate_is_stale=True)  # outside a batch: now
    assert (await docs.find_one({"_id": "r1"}) or {})["state"] == "reopened"

    codes = db["deferred_codes"]
    await codes.create_index("code", unique=True)
    await codes.insert_one({"_id": "r3", "code": "JKT-1"})
    with pytest.raises(BulkWriteError):  # a duplicate that is not a stale version
        await write(codes, UpdateOne({"_id": "r4"}, {"$set": {"code": "JKT-1"}}, upsert=True))


async def test_a_restatement_supersedes_the_earlier_ones_of_its_key(
    db: AsyncDatabase[Document],
) -> None:
    """restate: a report's clocks upserted and the ones it no longer has removed, as the
    sla-monitor's clock index writes them; within a batch only each report's last restatement
    is sent, unordered."""
    clocks = db["deferred_clocks"]

    def replace_report(report: str, keys: list[str]) -> list[Any]:
        ops: list[Any] = [
            ReplaceOne({"_id": k}, {"report_id": report, "n": i}, upsert=True)
            for i, k in enumerate(keys)
        ]
        return [*ops, DeleteMany({"report_id": report, "_id": {"$nin": keys}})]

    await restate(clocks, "a", replace_report("a", ["a:1", "a:2"]))  # outside a batch: now
    with deferring() as writes:
        await restate(clocks, "a", replace_report("a", ["a:1", "a:3"]))
        await restate(clocks, "b", replace_report("b", ["b:1"]))
        await restate(clocks, "a", replace_report("a", ["a:3"]))  # the later event wins
        assert len(writes) == 4  # a's last restatement (2 operations) and b's (2)
        assert sorted(await clocks.distinct("_id")) == ["a:1", "a:2"]
        await writes.flush()
    assert sorted(await clocks.distinct("_id")) == ["a:3", "b:1"]


class CommandCounter(monitoring.CommandListener):
    """The commands a client sent, by name (what reached the server, round trip by round trip)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.sent.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_concurrent_callers_share_one_bulk_write_and_get_their_own_answers(
    servers: Any,
) -> None:
    """aduan_shared.coalescing on the real server: the calls made in one turn of the event loop
    go as one command; each caller learns whether it inserted, or gets its own error."""
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        servers.mongo_url, event_listeners=[counter]
    )
    name = f"aduan_test_{uuid.uuid4().hex[:8]}"
    docs = client[name]["coalesced"]
    try:
        await docs.create_index("code", unique=True, sparse=True)
        await docs.insert_one({"_id": "old", "code": "JKT-0", "n": 0})
        writes, reads = Writes(docs), Reads(docs, {"n": 1})
        counter.sent.clear()

        outcomes = await asyncio.gather(
            *(
                writes.update_one({"_id": f"r{i}"}, {"$set": {"n": i}}, upsert=True)
                for i in range(40)
            ),
            writes.update_one({"_id": "old"}, {"$inc": {"n": 1}}, upsert=True),
            writes.insert_one({"_id": "clash", "code": "JKT-0"}),  # the code is taken
            writes.replace_one({"_id": "r0"}, {"n": 100}),
            return_exceptions=True,
        )
        # one unordered bulk write: pymongo sends its inserts and its updates as one command each
        assert counter.sent == ["insert", "update"]
        assert outcomes[:40] == [True] * 40  # each of these upserts inserted
        assert outcomes[40] is False  # matched the existing document
        assert isinstance(outcomes[41], DuplicateKeyError)  # only its caller sees the error
        assert outcomes[42] is False
        assert (await docs.find_one({"_id": "old"}) or {})["n"] == 1
        assert await docs.find_one({"_id": "clash"}) is None

        counter.sent.clear()
        found = await asyncio.gather(*(reads.by_id(k) for k in ("r1", "r2", "none", "r1")))
        assert counter.sent == ["find"]  # one query for the turn's ids
        assert found == [{"_id": "r1", "n": 1}, {"_id": "r2", "n": 2}, None, {"_id": "r1", "n": 1}]
        assert found[0] is not found[3]  # the second caller gets its own copy

        counter.sent.clear()
        for n in (1, 2, 3):  # one caller's calls: one after the other, in order
            await writes.update_one({"_id": "seq"}, {"$set": {"last": n}}, upsert=True)
        assert counter.sent == ["update"] * 3
        assert (await docs.find_one({"_id": "seq"}) or {})["last"] == 3
    finally:
        await client.drop_database(name)
        await client.close()


async def test_notifier_finishes_claimed_deliveries_together_and_only_its_own(
    servers: Any,
) -> None:
    """Concurrent finishes are one update command and one find; a finish after `mark_lost` took
    the claim (its dispatcher presumed dead) does not take, and the record keeps what it says."""
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        servers.mongo_url, event_listeners=[counter]
    )
    name = f"aduan_test_{uuid.uuid4().hex[:8]}"
    db = client[name]
    store = MongoDeliveryStore(db)
    now = datetime(2026, 11, 23, 5, tzinfo=UTC)
    ids = [f"d{i}" for i in range(5)]
    try:
        await db["deliveries"].insert_many(
            [
                {
                    "_id": i,
                    "report_id": "r",
                    "topic": "t",
                    "recipient_kind": "reporter",
                    "recipient": "reporter",
                    "template": "received",
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                    "next_attempt_at": now,
                }
                for i in ids
            ]
        )
        claims = await asyncio.gather(*(store.claim(i, f"tok-{i}", "sms", now) for i in ids))
        assert [c.status if c else None for c in claims] == ["sending"] * 5
        await db["deliveries"].update_one(  # d4's dispatcher is presumed dead
            {"_id": "d4"}, {"$set": {"sending_at": datetime(2026, 11, 23, 4, tzinfo=UTC)}}
        )
        assert await store.mark_lost(now, sending_before=now) == 1

        counter.sent.clear()
        done = await asyncio.gather(
            *(store.finish(i, f"tok-{i}", status="sent", channel="sms", now=now) for i in ids)
        )
        assert done == [True, True, True, True, False]
        assert counter.sent == ["update", "find"]  # one bulk write, one query for the turn
        lost = await db["deliveries"].find_one({"_id": "d4"})
        assert lost is not None
        assert (lost["status"], lost["error"]) == ("unknown", "unknown_after_crash")
        sent = {d["_id"] async for d in db["deliveries"].find({"status": "sent"})}
        assert sent == set(ids[:4])
    finally:
        await client.drop_database(name)
        await client.close()
