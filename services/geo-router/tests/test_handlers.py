"""The received → routed subscriber in FastStream's TestKafkaBroker, with a fake store."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aduan_geo_router.adapters.boundaries import BoundaryIndex
from aduan_geo_router.handlers import Deps, create_router
from aduan_shared.city import ensure_sample_city
from aduan_shared.events import (
    REPORT_RECEIVED,
    REPORT_ROUTED,
    ReportReceived,
    ReportRouted,
    derived_event_id,
    dlq_topic,
    tracking_code_for,
)
from aduan_shared.kafka import EventPublisher, create_broker
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.settings import KafkaSettings
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage


class FakeStore:
    def __init__(self) -> None:
        self.saved: dict[uuid.UUID, ReportRouted] = {}

    async def save(self, routed: ReportRouted) -> ReportRouted:
        return self.saved.setdefault(routed.report_id, routed)


def report(lat: float | None, lon: float | None) -> ReportReceived:
    rid = uuid.uuid4()
    now = datetime.now(UTC)
    location = None if lat is None else {"lat": lat, "lon": lon, "source": "gps"}
    return ReportReceived.model_validate(
        {
            "event_id": derived_event_id(rid, "received"),
            "occurred_at": now,
            "report_id": rid,
            "correlation_id": "corr-1",
            "tracking_code": tracking_code_for(rid),
            "channel": "jaki",
            "description": "Sampah numpuk",
            "location": location,
            "submitted_at": now,
        }
    )


@pytest.fixture
def setup(tmp_path: Path) -> tuple[object, FakeStore, list[ReportRouted], list[bytes]]:
    metrics = ServiceMetrics("geo-router")
    broker = create_broker(KafkaSettings(), "geo-router", metrics)
    store = FakeStore()
    publisher = EventPublisher(broker, [ReportRouted], metrics)
    boundaries = BoundaryIndex.load(ensure_sample_city(tmp_path))
    broker.include_router(create_router(Deps(boundaries, store, publisher, metrics)))
    routed: list[ReportRouted] = []
    dead: list[bytes] = []

    @broker.subscriber(REPORT_ROUTED, group_id="test")
    async def collect(event: ReportRouted) -> None:
        routed.append(event)

    async def raw(msg: KafkaMessage) -> bytes:
        return msg.body

    @broker.subscriber(dlq_topic(REPORT_RECEIVED), group_id="test", decoder=raw)
    async def collect_dead(msg: KafkaMessage) -> None:
        dead.append(msg.body)

    return broker, store, routed, dead


async def test_redelivered_report_is_routed_once_with_one_event_id(setup) -> None:  # type: ignore[no-untyped-def]
    broker, store, routed, _ = setup
    event = report(-6.495, 106.805)
    async with TestKafkaBroker(broker) as br:
        for _ in range(2):
            await br.publish(event.model_dump_json().encode(), topic=REPORT_RECEIVED, key=event.key)
    assert len(store.saved) == 1
    assert len(routed) == 2 and routed[0] == routed[1]  # an exact duplicate, dropped downstream
    out = routed[0]
    assert out.event_id == derived_event_id(event.event_id, "routed")
    assert out.kelurahan is not None and out.kelurahan.kode == "99.71.01.1001"
    assert out.unit_id == "kelurahan:99.71.01.1001" and out.method == "polygon"
    assert out.tracking_code == event.tracking_code and out.correlation_id == "corr-1"


async def test_report_without_location_needs_coordination(setup) -> None:  # type: ignore[no-untyped-def]
    broker, _, routed, _ = setup
    event = report(None, None)
    async with TestKafkaBroker(broker) as br:
        await br.publish(event.model_dump_json().encode(), topic=REPORT_RECEIVED, key=event.key)
    assert routed[0].needs_coordination and routed[0].reason == "no_location"


async def test_unparseable_message_goes_to_the_dlq(setup) -> None:  # type: ignore[no-untyped-def]
    broker, store, routed, dead = setup
    async with TestKafkaBroker(broker) as br:
        await br.publish(b'{"not": "a report"}', topic=REPORT_RECEIVED, key=b"k")
        await br.publish(b"not json at all", topic=REPORT_RECEIVED, key=b"k")
        bad = report(-6.495, 106.805).model_dump(mode="json")
        bad["location"]["lat"] = 123.0  # out of range
        await br.publish(json.dumps(bad).encode(), topic=REPORT_RECEIVED, key=b"k")
    assert dead[:2] == [b'{"not": "a report"}', b"not json at all"]
    assert json.loads(dead[2])["location"]["lat"] == 123.0
    assert routed == [] and store.saved == {}
