"""routed → case → status-changed in TestKafkaBroker; tracking and unit-scoped reads over HTTP."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from aduan_disposition.domain import open_case
from aduan_disposition.handlers import Deps, case_opened_event, open_from_routed
from aduan_shared.events import (
    REPORT_ROUTED,
    REPORT_STATUS_CHANGED,
    ReportRouted,
    ReportState,
    StatusChanged,
    derived_event_id,
)
from faststream.kafka import TestKafkaBroker

BANGKA = "kelurahan:31.74.03.1002"


def collecting(kit: Any) -> list[StatusChanged]:
    changes: list[StatusChanged] = []

    @kit.core.broker.subscriber(REPORT_STATUS_CHANGED, group_id="test")
    async def collect(event: StatusChanged) -> None:
        changes.append(event)

    return changes


async def test_redelivered_routed_event_opens_one_case_and_publishes_once(
    cases: Any, routed_event: ReportRouted, assembler: Callable[..., Any]
) -> None:
    kit = assembler(cases)
    changes = collecting(kit)
    async with TestKafkaBroker(kit.core.broker) as br:
        for _ in range(2):
            await br.publish(routed_event.model_dump_json().encode(), topic=REPORT_ROUTED)
    assert len(cases.cases) == 1
    # The opening event left the outbox once acknowledged: the redelivery finds it empty.
    assert len(changes) == 1 and cases.outboxes[str(routed_event.report_id)] == []
    change = changes[0]
    assert change.event_id == derived_event_id(routed_event.event_id, "case-opened")
    assert (change.from_state, change.to_state) == (ReportState.RECEIVED, ReportState.WAITING)
    assert change.unit_id == "kelurahan:31.74.03.1002" and change.version == 1
    assert change.tracking_code == routed_event.tracking_code


async def test_a_broker_refusal_leaves_the_opening_event_for_the_sweep(
    routed_event: ReportRouted, kit: Any
) -> None:
    kit.publisher.down = True
    opened = open_case(routed_event)
    await kit.cases.create(opened, case_opened_event(routed_event, opened))
    assert await kit.outbox.flush(opened.report_id) is False
    assert len(kit.cases.outboxes[opened.report_id]) == 1
    kit.publisher.down = False
    assert await kit.outbox.sweep() == 0
    assert [e.version for e in kit.publisher.events] == [1]
    assert kit.cases.outboxes[opened.report_id] == []


async def test_tracking_and_unit_scope(
    cases: Any, routed_event: ReportRouted, assembler: Callable[..., Any]
) -> None:
    kit = assembler(cases)
    async with TestKafkaBroker(kit.core.broker) as br:
        await br.publish(routed_event.model_dump_json().encode(), topic=REPORT_ROUTED)
        transport = httpx.ASGITransport(app=kit.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://d") as client:
            code = routed_event.tracking_code
            track = (await client.get(f"/v1/track/{code.lower()}")).json()
            assert track["state"] == "waiting" and track["label"] == "Menunggu"
            assert track["unit_name"] == "Kelurahan Bangka"
            assert "rep-1" not in str(track)
            assert (await client.get("/v1/track/JKT-00000000")).status_code == 404

            url = f"/v1/cases/{routed_event.report_id}"
            assert (await client.get(url)).status_code == 401
            own = await client.get(url, headers=kit.headers("unit_officer", unit=BANGKA))
            assert own.status_code == 200 and own.headers["etag"] == '"1"'
            assert own.json()["state"] == "waiting"
            other = await client.get(
                url, headers=kit.headers("unit_officer", unit="kelurahan:31.71.01.1001")
            )
            assert other.status_code == 404 and "Bangka" not in other.text
            assert (await client.get(url, headers=kit.headers("crm_admin"))).status_code == 200


async def test_a_case_opened_now_publishes_its_event_without_reading_the_outbox_back(
    routed_event: ReportRouted, kit: Any
) -> None:
    """The handler knows what it inserted; a redelivery (the case already there) reads the
    outbox as it is, and a change queued in between stays for its own flush."""
    reads: list[str] = []
    stored_outbox = kit.cases.outbox

    async def outbox(report_id: str) -> list[Any]:
        reads.append(report_id)
        return list(await stored_outbox(report_id))

    kit.cases.outbox = outbox
    deps = Deps(kit.cases, kit.outbox, kit.core.metrics)
    case = await open_from_routed(deps, routed_event)
    assert reads == [] and [e.version for e in kit.publisher.events] == [1]
    assert kit.cases.outboxes[case.report_id] == []

    later = kit.cases.cases[case.report_id].model_copy(update={"version": 2})
    queued = case_opened_event(routed_event, case).model_copy(
        update={"version": 2, "event_id": uuid.uuid4()}
    )
    await kit.cases.replace(later, 1, queued)  # a change made before the redelivery
    await open_from_routed(deps, routed_event)  # redelivered: exists, so its outbox is read
    assert reads == [case.report_id]
    assert [e.version for e in kit.publisher.events] == [1, 2]
    assert kit.cases.outboxes[case.report_id] == []
