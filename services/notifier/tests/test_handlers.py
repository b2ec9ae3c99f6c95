"""Status changes keep the latest state; a status question is answered with it (TestKafkaBroker)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aduan_notifier.api import create_api
from aduan_notifier.domain import Follower, Notification, ReportFacts
from aduan_notifier.handlers import Deps, create_router
from aduan_shared.auth import Role, issue_dev_token
from aduan_shared.events import (
    REPORT_STATUS_ASKED,
    REPORT_STATUS_CHANGED,
    Actor,
    Event,
    ReportState,
    StatusAsked,
    StatusChanged,
)
from aduan_shared.service import ServiceParts, build_app, service_core
from aduan_shared.settings import ServiceSettings
from faststream.kafka import TestKafkaBroker
from pydantic import SecretStr

SECRET = "notifier-test-secret-32-bytes-long!!"
NOW = datetime(2026, 11, 22, 8, tzinfo=UTC)
REPORT = uuid.uuid4()


class MemoryDeliveries:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    async def plan(self, event: Event, notification: Notification) -> bool:
        key = f"{event.event_id}:{notification.recipient_kind}:{notification.recipient}"
        if key in self.records:
            return False
        self.records[key] = {"report_id": str(event.report_id), **notification.__dict__}
        return True

    async def for_report(self, report_id: str) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if r["report_id"] == report_id]


class MemoryStates:
    def __init__(self) -> None:
        self.states: dict[str, tuple[int, ReportState]] = {}

    async def record(self, event: StatusChanged) -> None:
        key = str(event.report_id)
        if key not in self.states or self.states[key][0] < event.version:
            self.states[key] = (event.version, event.to_state)

    async def state_of(self, report_id: str) -> ReportState | None:
        found = self.states.get(report_id)
        return found[1] if found else None

    async def facts_of(self, report_id: str) -> ReportFacts | None:
        return None

    async def followers_of(self, report_id: str) -> list[Follower]:
        return []


def change(to: ReportState, version: int) -> bytes:
    return (
        StatusChanged(
            event_id=uuid.uuid4(),
            occurred_at=NOW + timedelta(minutes=version),
            report_id=REPORT,
            correlation_id="c",
            from_state=None,
            to_state=to,
            unit_id="kelurahan:31.74.04.1005",
            actor=Actor(role="system", id="t"),
            version=version,
        )
        .model_dump_json()
        .encode()
    )


def question(event_id: uuid.UUID) -> bytes:
    return (
        StatusAsked(
            event_id=event_id,
            occurred_at=NOW,
            report_id=REPORT,
            correlation_id="c",
            tracking_code="JKT-7K3M9Q2X",
            found=True,
            channel="sms_whatsapp",
            external_id="wamid.9",
            asker_ref="ask-9",
            asked_at=NOW,
        )
        .model_dump_json()
        .encode()
    )


async def test_a_status_question_is_answered_with_the_latest_version() -> None:
    deliveries, states = MemoryDeliveries(), MemoryStates()
    core = service_core("notifier", ServiceSettings(auth_jwt_secret=SecretStr(SECRET)))
    core.broker.include_router(create_router(Deps(deliveries, states, core.metrics)))
    app = build_app(
        ServiceParts(core, title="t", description="d", routers=[create_api(deliveries)])
    )
    asked_id = uuid.uuid4()
    async with TestKafkaBroker(core.broker) as br:
        await br.publish(change(ReportState.IN_PROGRESS, 3), topic=REPORT_STATUS_CHANGED)
        await br.publish(change(ReportState.WAITING, 2), topic=REPORT_STATUS_CHANGED)  # late
        for _ in range(2):  # a redelivered question is answered once
            await br.publish(question(asked_id), topic=REPORT_STATUS_ASKED)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
            admin = issue_dev_token(SECRET, sub="a", roles=[Role.CRM_ADMIN])
            officer = issue_dev_token(SECRET, sub="o", roles=[Role.UNIT_OFFICER], unit_id="x")
            url = f"/v1/notifications?report_id={REPORT}"
            listed = await client.get(url, headers={"Authorization": f"Bearer {admin}"})
            refused = await client.get(url, headers={"Authorization": f"Bearer {officer}"})
    answers = [r for r in listed.json() if r["template"] == "status_answer"]
    assert len(answers) == 1
    assert answers[0]["recipient"] == "ask-9"
    assert answers[0]["text"] == "Status laporan JKT-7K3M9Q2X: Proses."
    assert refused.status_code == 403
