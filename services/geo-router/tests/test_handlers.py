"""The geo-router's subscribers in FastStream's TestKafkaBroker, on Jakarta's real configuration
with an in-memory store."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aduan_geo_router.adapters.repository import _HISTORY_STATE
from aduan_geo_router.app import build_router
from aduan_geo_router.handlers import Deps, create_router
from aduan_geo_router.history import Neighbour, distance_m
from aduan_geo_router.router import Router
from aduan_shared.cityconfig import load_city
from aduan_shared.events import (
    REPORT_RECEIVED,
    REPORT_ROUTED,
    REPORT_STATUS_CHANGED,
    Actor,
    ReportReceived,
    ReportRouted,
    ReportState,
    StatusChanged,
    derived_event_id,
    dlq_topic,
    tracking_code_for,
)
from aduan_shared.service import service_core
from aduan_shared.settings import ServiceSettings
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

JAKARTA_CONFIG = Path(__file__).resolve().parents[3] / "config" / "cities" / "jakarta"
BANGKA = (-6.26418, 106.8193)  # Kelurahan Bangka (31.74.03.1002), its representative point


class MemoryStore:
    """The RoutingStore contract in memory."""

    def __init__(self) -> None:
        self.saved: dict[str, ReportRouted] = {}
        self.state: dict[str, tuple[int, str, datetime | None]] = {}

    async def save(self, routed: ReportRouted) -> ReportRouted:
        return self.saved.setdefault(str(routed.report_id), routed)

    async def nearby(
        self, category: str, lat: float, lon: float, radius_m: float, exclude: str
    ) -> list[Neighbour]:
        found = []
        for rid, r in self.saved.items():
            if rid == exclude or r.category != category or r.location is None:
                continue
            if distance_m(lat, lon, r.location.lat, r.location.lon) <= radius_m:
                _, state, finished = self.state.get(rid, (0, "open", None))
                found.append(
                    Neighbour(rid, r.location.lat, r.location.lon, r.occurred_at, state, finished)
                )  # type: ignore[arg-type]
        return found

    async def status_changed(self, event: StatusChanged) -> None:
        key = str(event.report_id)
        if self.state.get(key, (0,))[0] < event.version:
            state = _HISTORY_STATE.get(event.to_state, "open")
            self.state[key] = (event.version, state, event.occurred_at if state == "done" else None)


@pytest.fixture(scope="module")
def jakarta_router() -> Router:
    return build_router(load_city(JAKARTA_CONFIG))


def received(
    description: str,
    point: tuple[float, float] | None = BANGKA,
    category: str | None = None,
    address: str | None = None,
    at: datetime | None = None,
) -> ReportReceived:
    rid = uuid.uuid4()
    now = at or datetime.now(UTC)
    return ReportReceived.model_validate(
        {
            "event_id": derived_event_id(rid, "received"),
            "occurred_at": now,
            "report_id": rid,
            "correlation_id": "corr-1",
            "tracking_code": tracking_code_for(rid),
            "channel": "jaki",
            "description": description,
            "category": category,
            "address_text": address,
            "location": None if point is None else {"lat": point[0], "lon": point[1]},
            "submitted_at": now,
        }
    )


class Harness:
    def __init__(self, router: Router) -> None:
        core = service_core("geo-router", ServiceSettings())
        self.store = MemoryStore()
        self.broker = core.broker
        self.routed: list[ReportRouted] = []
        self.dead: list[bytes] = []
        core.broker.include_router(
            create_router(Deps(router, self.store, core.publisher(ReportRouted), core.metrics))
        )

        @core.broker.subscriber(REPORT_ROUTED, group_id="test")
        async def collect(event: ReportRouted) -> None:
            self.routed.append(event)

        async def raw(msg: KafkaMessage) -> bytes:
            return msg.body

        @core.broker.subscriber(dlq_topic(REPORT_RECEIVED), group_id="test", decoder=raw)
        async def collect_dead(body: bytes) -> None:
            self.dead.append(body)

    async def send(self, br: Any, *events: ReportReceived | StatusChanged) -> None:
        for e in events:
            await br.publish(e.model_dump_json().encode(), topic=e.TOPIC, key=e.key)


@pytest.fixture
def harness(jakarta_router: Router) -> Harness:
    return Harness(jakarta_router)


async def test_redelivered_report_is_routed_once_with_one_event_id(harness: Harness) -> None:
    event = received("Jalan bolong depan sekolah", category="Jalan")
    async with TestKafkaBroker(harness.broker) as br:
        await harness.send(br, event, event)
    assert len(harness.store.saved) == 1
    assert len(harness.routed) == 2 and harness.routed[0] == harness.routed[1]
    out = harness.routed[0]
    assert out.event_id == derived_event_id(event.event_id, "routed")
    assert out.kelurahan is not None and out.kelurahan.name == "Bangka"
    assert out.unit_id == "kelurahan:31.74.03.1002" and out.method == "polygon"
    assert (out.category, out.category_source) == ("Jalan", "given")


async def test_category_routes_by_the_citys_table(harness: Harness) -> None:
    async with TestKafkaBroker(harness.broker) as br:
        await harness.send(br, received("Ada kebakaran rumah!", category="kebakaran"))
    out = harness.routed[0]
    assert out.category == "Kebakaran"
    assert out.unit_id == "dinas:gulkarmat" and not out.needs_coordination


async def test_text_only_report_is_placed_and_classified(harness: Harness) -> None:
    text = "Got mampet dan air meluap ke jalan, di kel. Bangka kec. Mampang Prapatan"
    async with TestKafkaBroker(harness.broker) as br:
        await harness.send(br, received(text, point=None))
    out = harness.routed[0]
    assert out.method == "gazetteer"
    assert out.kelurahan is not None and out.kelurahan.kode == "31.74.03.1002"
    assert out.category_source == "classified" and out.category == "Saluran Air/Banjir"
    assert out.category_confidence is not None and out.category_confidence > 0


async def test_maps_link_in_text_gives_a_point(harness: Harness) -> None:
    text = "Pohon tumbang https://maps.google.com/?q=-6.26418,106.8193"
    async with TestKafkaBroker(harness.broker) as br:
        await harness.send(br, received(text, point=None))
    out = harness.routed[0]
    assert out.method == "polygon" and out.location is not None
    assert out.location.source == "text"
    assert out.kelurahan is not None and out.kelurahan.name == "Bangka"


async def test_no_location_needs_coordination(harness: Harness) -> None:
    async with TestKafkaBroker(harness.broker) as br:
        await harness.send(br, received("tolong dibantu pak, sudah 3 hari", point=None))
    out = harness.routed[0]
    assert out.needs_coordination and out.reason == "no_location" and out.unit_id is None


async def test_duplicates_and_recurrences_are_marked(harness: Harness) -> None:
    first = received("Sampah numpuk di pinggir jalan", category="Sampah")
    near = (BANGKA[0] + 20 / 111_320, BANGKA[1])  # 20 m away
    second = received("sampah menumpuk bau", point=near, category="Sampah")
    other_category = received("jalan berlubang", point=near, category="Jalan")
    done = StatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        report_id=first.report_id,
        correlation_id="c",
        from_state=ReportState.VERIFICATION,
        to_state=ReportState.DONE,
        unit_id="kelurahan:31.74.03.1002",
        actor=Actor(role="verifier", id="v"),
        version=5,
    )
    third = received(
        "sampah numpuk lagi",
        point=near,
        category="Sampah",
        at=datetime.now(UTC) + timedelta(minutes=1),
    )
    async with TestKafkaBroker(harness.broker) as br:
        await harness.send(br, first, second, other_category)
        await br.publish(done.model_dump_json().encode(), topic=REPORT_STATUS_CHANGED)
        await harness.send(br, third)
    by_id = {str(r.report_id): r for r in harness.routed}
    assert by_id[str(second.report_id)].possible_duplicate_of == first.report_id
    assert by_id[str(other_category.report_id)].possible_duplicate_of is None
    marks = by_id[str(third.report_id)]
    assert marks.recurrence_of == first.report_id  # finished, and it came back
    assert marks.possible_duplicate_of == second.report_id  # still open


async def test_unparseable_or_bad_coordinates_go_to_the_dlq(harness: Harness) -> None:
    bad = received("x").model_dump(mode="json")
    bad["location"]["lat"] = 123.0
    async with TestKafkaBroker(harness.broker) as br:
        await br.publish(b'{"not": "a report"}', topic=REPORT_RECEIVED, key=b"k")
        await br.publish(b"not json at all", topic=REPORT_RECEIVED, key=b"k")
        await br.publish(json.dumps(bad).encode(), topic=REPORT_RECEIVED, key=b"k")
    assert harness.dead[:2] == [b'{"not": "a report"}', b"not json at all"]
    assert json.loads(harness.dead[2])["location"]["lat"] == 123.0
    assert harness.routed == [] and harness.store.saved == {}
