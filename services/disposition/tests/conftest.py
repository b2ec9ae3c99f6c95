"""Routed events, an in-memory case store and a fake publisher for disposition's tests."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aduan_disposition.adapters.cases import PAGE_SIZE
from aduan_disposition.api import create_api
from aduan_disposition.commands import Policy
from aduan_disposition.domain import ADMIN_POOL, Case
from aduan_disposition.handlers import Deps, create_router
from aduan_disposition.live import LiveFeed
from aduan_disposition.metrics import DispositionMetrics
from aduan_disposition.outbox import Outbox
from aduan_disposition.tracking import create_tracking
from aduan_disposition.units_api import create_units_api
from aduan_disposition.workflow import CityRules, Workflow
from aduan_shared.auth import issue_dev_token
from aduan_shared.city import resolve_city_dir
from aduan_shared.cityconfig import load_city
from aduan_shared.errors import CaseNotFound, StaleVersion
from aduan_shared.events import (
    Event,
    ReportRated,
    ReportRouted,
    StatusChanged,
    derived_event_id,
    tracking_code_for,
)
from aduan_shared.kafka import PublishFailed
from aduan_shared.photo_store import MemoryPhotoStore
from aduan_shared.service import ServiceCore, ServiceParts, build_app, service_core
from aduan_shared.settings import ServiceSettings
from aduan_testkit import jpeg as make_jpeg
from aduan_testkit.city import jakarta_units
from fastapi import FastAPI
from pydantic import SecretStr

SECRET = "disposition-test-secret-32-bytes-long"
BANGKA, KUNINGAN = "kelurahan:31.74.03.1002", "kelurahan:31.74.03.1001"
DISHUB, SUDIN_SEL = "dinas:dishub", "sudin:dishub:31.74"
UNITS = jakarta_units(
    BANGKA, KUNINGAN, "kecamatan:31.74.03", DISHUB, SUDIN_SEL, ADMIN_POOL, "verifier"
)


def _value(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None  # type: ignore[assignment]
    return doc


def matches(doc: dict[str, Any], filters: dict[str, Any]) -> bool:
    """The subset of MongoDB queries the disposition store is given: equality, $and, $or."""
    for key, wanted in filters.items():
        if key == "$and":
            if not all(matches(doc, f) for f in wanted):
                return False
        elif key == "$or":
            if not any(matches(doc, f) for f in wanted):
                return False
        elif _value(doc, key) != wanted:
            return False
    return True


class MemoryCases:
    """The CaseStore contract in dicts (what MongoCaseStore does, without a server)."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self.outboxes: dict[str, list[Event]] = {}
        self.extras: dict[str, dict[str, Any]] = {}  # fields beyond the Case (rating, bands)

    async def create(self, case: Case, event: StatusChanged) -> tuple[Case, bool]:
        if case.report_id in self.cases:
            return self.cases[case.report_id], False
        self.cases[case.report_id] = case
        self.outboxes[case.report_id] = [event]
        return case, True

    async def get(self, report_id: str) -> Case | None:
        return self.cases.get(report_id)

    async def by_tracking_code(self, code: str) -> Case | None:
        return next((c for c in self.cases.values() if c.tracking_code == code), None)

    async def replace(
        self,
        case: Case,
        expected_version: int,
        event: StatusChanged,
        phash_bands: Sequence[str] = (),
    ) -> None:
        current = self.cases.get(case.report_id)
        if current is None:
            raise CaseNotFound(case.report_id)
        if current.version != expected_version:
            raise StaleVersion("stale", current_version=current.version)
        self.cases[case.report_id] = case
        self.outboxes.setdefault(case.report_id, []).append(event)
        extras = self.extras.setdefault(case.report_id, {})
        extras["evidence_bands"] = {*extras.get("evidence_bands", ()), *phash_bands}

    async def update_fields(self, report_id: str, version: int, fields: dict[str, Any]) -> bool:
        case = self.cases.get(report_id)
        if case is None or case.version != version:
            return False
        self.extras.setdefault(report_id, {}).update(fields)
        return True

    async def find(self, filters: dict[str, Any], page: int) -> tuple[list[Case], int]:
        found = [c for c in self.cases.values() if matches(c.model_dump(mode="json"), filters)]
        found.sort(key=lambda c: c.history[-1].at, reverse=True)
        start = (page - 1) * PAGE_SIZE
        return found[start : start + PAGE_SIZE], len(found)

    async def outbox(self, report_id: str) -> list[Event]:
        return list(self.outboxes.get(report_id, []))

    async def published(self, report_id: str, event_ids: Sequence[str]) -> None:
        self.outboxes[report_id] = [
            e for e in self.outboxes.get(report_id, []) if str(e.event_id) not in event_ids
        ]

    async def with_pending_events(self, limit: int) -> list[str]:
        return [rid for rid, events in self.outboxes.items() if events][:limit]

    async def evidence_phashes(
        self, phash_bands: Sequence[str], exclude_report_id: str, limit: int
    ) -> list[str]:
        hits = [
            rid
            for rid, extras in self.extras.items()
            if rid != exclude_report_id and extras.get("evidence_bands", set()) & set(phash_bands)
        ][:limit]
        return [
            p.phash for rid in hits for e in self.cases[rid].evidence for p in e.photos if p.phash
        ]

    async def followers(self, report_id: str, depth: int = 3) -> list[str]:
        found: list[str] = []
        frontier = {report_id}
        for _ in range(depth):
            merged = [c for c in self.cases.values() if c.duplicate_of in frontier]
            found += [c.reporter_ref for c in merged if c.reporter_ref]
            frontier = {c.report_id for c in merged}
        return list(dict.fromkeys(found))

    async def rate(self, report_id: str, rating: dict[str, Any], event: ReportRated) -> bool:
        case = self.cases.get(report_id)
        extras = self.extras.setdefault(report_id, {})
        if case is None or case.state.value != "done" or "rating" in extras:
            return False
        extras["rating"] = rating
        self.outboxes.setdefault(report_id, []).append(event)
        return True

    async def rating(self, report_id: str) -> dict[str, Any] | None:
        return self.extras.get(report_id, {}).get("rating")

    async def versions(self, tracking_codes: Sequence[str]) -> dict[str, int]:
        return {
            c.tracking_code: c.version
            for c in self.cases.values()
            if c.tracking_code in tracking_codes
        }

    async def count_by_state_and_unit(self) -> list[tuple[str, str, int]]:
        counts: dict[tuple[str, str], int] = {}
        for c in self.cases.values():
            counts[(c.state.value, c.unit_id)] = counts.get((c.state.value, c.unit_id), 0) + 1
        return [(s, u, n) for (s, u), n in counts.items()]


class FakePublisher:
    """Collects what it publishes; `down = True` makes it refuse like an unreachable broker."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.down = False

    async def publish(self, event: Event) -> None:
        if self.down:
            raise PublishFailed("broker down (fake)")
        self.events.append(event)


class Clock:
    """A settable clock (aware UTC)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Kit:
    """The disposition service assembled on in-memory stores (no servers)."""

    cases: MemoryCases
    publisher: Any
    core: ServiceCore
    outbox: Outbox
    live: LiveFeed
    metrics: DispositionMetrics
    workflow: Workflow
    photos: MemoryPhotoStore
    clock: Clock
    app: FastAPI
    changes: list[StatusChanged] = field(default_factory=list)

    def headers(self, *roles: str, unit: str | None = None, sub: str = "u-1") -> dict[str, str]:
        token = issue_dev_token(SECRET, sub=sub, roles=roles, unit_id=unit)
        return {"Authorization": f"Bearer {token}"}

    def metric(self, name: str, **labels: str) -> float:
        value = self.core.metrics.registry.get_sample_value(f"aduan_disposition_{name}", labels)
        return value or 0.0


def assemble(
    cases: "MemoryCases",
    *,
    publisher: Any = None,
    policy: Policy | None = None,
) -> Kit:
    """The service's parts on `cases`; `publisher` None = the broker's (use TestKafkaBroker)."""
    core = service_core("disposition", ServiceSettings(auth_jwt_secret=SecretStr(SECRET)))
    pub = publisher if publisher is not None else core.publisher(StatusChanged, ReportRated)
    outbox = Outbox(cases, pub, core.metrics)
    live = LiveFeed(cases.versions, poll_s=0.05)
    metrics = DispositionMetrics(core.metrics)
    photos = MemoryPhotoStore()
    clock = Clock()
    rules = CityRules(UNITS, policy or Policy())
    workflow = Workflow(cases, outbox, photos, rules, metrics, live, clock=clock)
    core.broker.include_router(create_router(Deps(cases, outbox, core.metrics)))
    city = load_city(resolve_city_dir(None))
    app = build_app(
        ServiceParts(
            core,
            title="t",
            description="d",
            routers=[
                create_api(cases, workflow, photos),
                create_units_api(city, UNITS),
                create_tracking(cases, workflow, live, metrics, heartbeat_s=0.2),
            ],
        )
    )
    return Kit(cases, pub, core, outbox, live, metrics, workflow, photos, clock, app)


def make_routed(*, unit: bool = True, **overrides: Any) -> ReportRouted:
    rid = uuid.uuid4()
    now = datetime.now(UTC)
    located = {
        "kelurahan": {"kode": "31.74.03.1002", "name": "Bangka"},
        "kecamatan": {"kode": "31.74.03", "name": "Mampang Prapatan"},
        "kota": {"kode": "31.74", "name": "Jakarta Selatan"},
        "unit_id": "kelurahan:31.74.03.1002",
        "unit_name": "Kelurahan Bangka",
        "method": "polygon",
        "distance_m": 0.0,
        "needs_coordination": False,
    }
    pool = {"method": "none", "needs_coordination": True, "reason": "no_location"}
    return ReportRouted.model_validate(
        {
            "event_id": derived_event_id(rid, "routed"),
            "occurred_at": now,
            "report_id": rid,
            "correlation_id": "corr-9",
            "category": "Jalan",
            "category_source": "given",
            "tracking_code": tracking_code_for(rid),
            "channel": "jaki",
            "submitted_at": now,
            "reporter_ref": "rep-1",
            **(located if unit else pool),
            **overrides,
        }
    )


@pytest.fixture
def cases() -> MemoryCases:
    return MemoryCases()


@pytest.fixture
def routed_event() -> ReportRouted:
    return make_routed(unit=True)


@pytest.fixture
def pool_event() -> ReportRouted:
    return make_routed(unit=False)


@pytest.fixture
def routed() -> Callable[..., ReportRouted]:
    """make_routed: a routed event (at Kelurahan Bangka, or `unit=False` for the pool)."""
    return make_routed


@pytest.fixture
def kit(cases: MemoryCases) -> Kit:
    """The service on in-memory stores with a fake publisher."""
    return assemble(cases, publisher=FakePublisher())


@pytest.fixture
def assembler() -> Callable[..., Kit]:
    return assemble


@pytest.fixture
def jpeg() -> Callable[..., bytes]:
    """aduan_testkit.jpeg: a distinct picture per seed with optional EXIF GPS and time."""
    return make_jpeg
