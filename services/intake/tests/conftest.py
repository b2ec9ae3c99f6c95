"""Intake's API assembled as in production, with in-memory stores and an in-memory broker."""

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from aduan_intake.adapters.store import (
    CLOSED_STATES,
    ReportQuery,
    ReportStatus,
    StoredReport,
    TrackingCodeTaken,
)
from aduan_intake.api import IntakeDeps, create_api
from aduan_intake.channels import DEFAULT_CHANNELS
from aduan_intake.open311 import catalog_from_city, create_open311
from aduan_intake.photo_fetch import PhotoFetcher
from aduan_intake.pipeline import ChannelSecrets, Pipeline
from aduan_shared.cityconfig import load_city
from aduan_shared.errors import InvalidInput
from aduan_shared.events import (
    REPORT_RECEIVED,
    REPORT_STATUS_ASKED,
    Event,
    ReportReceived,
    ReportState,
    StatusAsked,
)
from aduan_shared.kafka import Publisher, PublishFailed
from aduan_shared.photo_store import MemoryPhotoStore
from aduan_shared.service import ServiceParts, build_app, service_core
from aduan_shared.settings import ServiceSettings
from aduan_shared.vault import generate_keypair
from fastapi import FastAPI
from faststream.kafka import KafkaBroker, TestKafkaBroker
from pydantic import SecretStr

JAKI_KEY = "jaki-test-key"
LAPOR_KEY = "lapor-test-key"
MAIL_KEY = "mail-gateway-test-key"
OPEN311_KEY = "open311-test-key"
JAKARTA_CONFIG = Path(__file__).resolve().parents[3] / "config" / "cities" / "jakarta"
OPEN311_CATALOG = catalog_from_city(load_city(JAKARTA_CONFIG))
SECRETS = ChannelSecrets(
    twitter_consumer_secret="tw-secret",
    meta_app_secret="meta-secret",
    meta_verify_token="verify-me",
    sms_gateway_secret="sms-secret",
)
JWT_SECRET = "intake-test-secret-of-32-bytes-or-more"
VAULT_PRIVATE, VAULT_PUBLIC = generate_keypair()


class MemoryReports:
    """ReportStore and StatusStore in memory (the Mongo store's own behaviour is tested on a
    real MongoDB in tests/integration/test_open311.py)."""

    def __init__(self) -> None:
        self.docs: dict[str, ReportReceived] = {}
        self.status: dict[str, ReportStatus] = {}

    async def accept(self, event: ReportReceived) -> tuple[ReportReceived, bool]:
        key = str(event.report_id)
        if key in self.docs:
            return self.docs[key], False
        if any(d.tracking_code == event.tracking_code for d in self.docs.values()):
            raise TrackingCodeTaken(event.tracking_code)
        self.docs[key] = event
        return event, True

    async def forget(self, event: ReportReceived) -> None:
        self.docs.pop(str(event.report_id), None)

    async def by_external_ids(self, channel: str, ids: Sequence[str]) -> ReportReceived | None:
        found = [d for d in self.docs.values() if d.channel == channel and d.external_id in ids]
        return min(found, key=lambda e: e.submitted_at) if found else None

    async def record_status(self, report_id: str, status: ReportStatus) -> bool:
        current = self.status.get(report_id)
        if report_id not in self.docs or (current and current.version >= status.version):
            return False
        if current and status.category is None:
            status = replace(status, category=current.category)
        self.status[report_id] = status
        return True

    def _stored(self, event: ReportReceived) -> StoredReport:
        return StoredReport(event, self.status.get(str(event.report_id)))

    async def by_tracking_code(self, code: str) -> StoredReport | None:
        found = [e for e in self.docs.values() if e.tracking_code == code]
        return self._stored(found[0]) if found else None

    async def public_reports(self, query: ReportQuery) -> list[StoredReport]:
        found = []
        for event in self.docs.values():
            report = self._stored(event)
            if event.visibility != "public":
                continue
            if query.tracking_codes:
                if event.tracking_code in query.tracking_codes:
                    found.append(report)
                continue
            state = report.status.state if report.status else ReportState.RECEIVED
            if not query.start <= event.submitted_at <= query.end:
                continue
            if query.categories and report.category not in query.categories:
                continue
            if query.closed is not None and (state in CLOSED_STATES) != query.closed:
                continue
            found.append(report)
        found.sort(key=lambda r: r.event.submitted_at, reverse=True)
        return found[: query.limit]


class MemoryVault:
    def __init__(self) -> None:
        self.sealed: dict[str, str] = {}

    async def put(self, reporter_ref: str, sealed: str, channel: str) -> None:
        self.sealed.setdefault(reporter_ref, sealed)

    async def forget(self, reporter_ref: str) -> None:
        self.sealed.pop(reporter_ref, None)


class BrokerDown:
    async def publish(self, event: Event) -> None:
        raise PublishFailed("the message broker did not acknowledge")


@dataclass
class Intake:
    client: httpx.AsyncClient
    reports: MemoryReports
    vault: MemoryVault
    published: list[ReportReceived] = field(default_factory=list)
    jaki_headers: dict[str, str] = field(default_factory=lambda: {"X-Api-Key": JAKI_KEY})
    jwt_secret: str = JWT_SECRET
    secrets: ChannelSecrets = SECRETS
    photos: MemoryPhotoStore = field(default_factory=MemoryPhotoStore)
    lapor_key: str = LAPOR_KEY
    mail_key: str = MAIL_KEY
    vault_private_key: str = VAULT_PRIVATE
    asked: list[StatusAsked] = field(default_factory=list)


def assemble(
    broker_down: bool = False,
) -> tuple[KafkaBroker, MemoryReports, MemoryVault, FastAPI]:
    core = service_core("intake", ServiceSettings(auth_jwt_secret=SecretStr(JWT_SECRET)))
    reports, vault, photos = MemoryReports(), MemoryVault(), MemoryPhotoStore()
    publisher: Publisher = (
        BrokerDown() if broker_down else core.publisher(ReportReceived, StatusAsked)
    )
    deps = IntakeDeps(
        channels=DEFAULT_CHANNELS,
        api_keys={"jaki": JAKI_KEY, "lapor": LAPOR_KEY, "email": MAIL_KEY, "open311": OPEN311_KEY},
        vault_public_key=VAULT_PUBLIC,
        tracking_prefix="JKT",
        reports=reports,
        vault=vault,
        publisher=publisher,
        metrics=core.metrics,
        secrets=SECRETS,
        photos=photos,
        photo_fetcher=PhotoFetcher(["127.0.0.1"], timeout_s=2),
    )
    pipeline = Pipeline(deps)
    routers = [create_api(deps, pipeline), create_open311(pipeline, reports, OPEN311_CATALOG)]
    app = build_app(ServiceParts(core, title="t", description="d", routers=routers))
    app.state.test_photos = photos
    return core.broker, reports, vault, app


@pytest.fixture
async def intake() -> AsyncIterator[Intake]:
    broker, reports, vault, app = assemble()
    published: list[ReportReceived] = []

    asked: list[StatusAsked] = []

    @broker.subscriber(REPORT_RECEIVED, group_id="test")
    async def collect(event: ReportReceived) -> None:
        published.append(event)

    @broker.subscriber(REPORT_STATUS_ASKED, group_id="test")
    async def collect_questions(event: StatusAsked) -> None:
        asked.append(event)

    async with TestKafkaBroker(broker):
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield Intake(
                client, reports, vault, published, photos=app.state.test_photos, asked=asked
            )


@pytest.fixture
async def intake_broker_down() -> AsyncIterator[Intake]:
    broker, reports, vault, app = assemble(broker_down=True)
    async with TestKafkaBroker(broker):
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield Intake(client, reports, vault)


@pytest.fixture
def expect_422() -> Callable[..., None]:
    """Check that `parse` refuses `payload` changed by `change` (None removes a key) with a
    422 whose detail names `field`."""

    def check(
        parse: Callable[[Any], object], payload: dict[str, Any], change: dict[str, Any], field: str
    ) -> None:
        for key, value in change.items():
            if value is None:
                payload.pop(key)
            else:
                payload[key] = value
        with pytest.raises(InvalidInput) as err:
            parse(payload)
        assert err.value.status == 422
        assert field in err.value.detail

    return check
