"""routed → case → status-changed in TestKafkaBroker; tracking and unit-scoped reads over HTTP."""

from typing import Any

import httpx
from aduan_disposition.api import create_api
from aduan_disposition.handlers import Deps, create_router
from aduan_shared.auth import issue_dev_token
from aduan_shared.events import (
    REPORT_ROUTED,
    REPORT_STATUS_CHANGED,
    ReportRouted,
    ReportState,
    StatusChanged,
    derived_event_id,
)
from aduan_shared.service import ServiceParts, build_app, service_core
from aduan_shared.settings import ServiceSettings
from faststream.kafka import TestKafkaBroker
from pydantic import SecretStr

SECRET = "disposition-test-secret-32-bytes-long"


def assemble(cases: Any) -> tuple[Any, Any, list[StatusChanged]]:
    core = service_core("disposition", ServiceSettings(auth_jwt_secret=SecretStr(SECRET)))
    deps = Deps(cases, core.publisher(StatusChanged), core.metrics)
    core.broker.include_router(create_router(deps))
    changes: list[StatusChanged] = []

    @core.broker.subscriber(REPORT_STATUS_CHANGED, group_id="test")
    async def collect(event: StatusChanged) -> None:
        changes.append(event)

    app = build_app(ServiceParts(core, title="t", description="d", routers=[create_api(cases)]))
    return core.broker, app, changes


async def test_redelivered_routed_event_opens_one_case(
    cases: Any, routed_event: ReportRouted
) -> None:
    broker, _, changes = assemble(cases)
    async with TestKafkaBroker(broker) as br:
        for _ in range(2):
            await br.publish(routed_event.model_dump_json().encode(), topic=REPORT_ROUTED)
    assert len(cases.cases) == 1
    assert len(changes) == 2 and changes[0] == changes[1]
    change = changes[0]
    assert change.event_id == derived_event_id(routed_event.event_id, "case-opened")
    assert (change.from_state, change.to_state) == (ReportState.RECEIVED, ReportState.WAITING)
    assert change.unit_id == "kelurahan:31.74.03.1002" and change.version == 1
    assert change.tracking_code == routed_event.tracking_code


async def test_tracking_and_unit_scope(cases: Any, routed_event: ReportRouted) -> None:
    broker, app, _ = assemble(cases)
    async with TestKafkaBroker(broker) as br:
        await br.publish(routed_event.model_dump_json().encode(), topic=REPORT_ROUTED)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://d") as client:
            code = routed_event.tracking_code
            track = (await client.get(f"/v1/track/{code.lower()}")).json()
            assert track["state"] == "waiting" and track["label"] == "Menunggu"
            assert track["unit_name"] == "Kelurahan Bangka"
            assert "rep-1" not in str(track)
            assert (await client.get("/v1/track/JKT-00000000")).status_code == 404

            url = f"/v1/cases/{routed_event.report_id}"
            assert (await client.get(url)).status_code == 401

            def as_(roles: list[str], unit: str | None) -> dict[str, str]:
                token = issue_dev_token(SECRET, sub="x", roles=roles, unit_id=unit)
                return {"Authorization": f"Bearer {token}"}

            own = await client.get(url, headers=as_(["unit_officer"], "kelurahan:31.74.03.1002"))
            assert own.status_code == 200 and own.headers["etag"] == '"1"'
            assert own.json()["state"] == "waiting"
            other = await client.get(url, headers=as_(["unit_officer"], "kelurahan:31.71.01.1001"))
            assert other.status_code == 404 and "Bangka" not in other.text
            assert (await client.get(url, headers=as_(["crm_admin"], None))).status_code == 200
