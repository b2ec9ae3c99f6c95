"""A breach, end to end across the processes: a report nobody follows up, an SLA monitor whose
clock runs a week ahead, the breach in its ledger charged to the Lurah, the unit told.

The platform's own sla-monitor runs on the real clock. A second sla-monitor process — its own
database and consumer group (started at the topics' end, so it sees only what follows), its clock
`SLA_MONITOR_CLOCK_OFFSET_S` = 7 days ahead — sees the report arrive at Kelurahan Bangka and,
for it, the 6-day deadline has passed: it signals the warnings and the breach on the real topics,
the platform's notifier tells the unit, and its ledger charges the official heading Bangka at the
deadline.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aduan_devstack.infra import free_port
from aduan_devstack.services import SERVICES, ServiceProcess, wait_all_ready
from aduan_shared.events import REPORT_ROUTED, REPORT_STATUS_CHANGED
from aduan_testkit.kafka import start_group_at_end

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BANGKA = "kelurahan:31.74.03.1002"
BANGKA_AT = (-6.26418, 106.8193)
WEEK = timedelta(days=7)
#: The Lurah of Bangka from 16 November 2026 (config/cities/jakarta/units.yaml).
LURAH = "nip:198506062010012003"
JAKARTA = ZoneInfo("Asia/Jakarta")


async def test_a_report_nobody_follows_up_is_breached_charged_and_the_unit_told(
    platform: Any, tmp_path: Path
) -> None:
    name = f"sla-monitor-timetravel-{uuid.uuid4().hex[:6]}"
    await start_group_at_end(
        platform.servers.kafka_bootstrap, f"aduan-{name}", [REPORT_ROUTED, REPORT_STATUS_CHANGED]
    )
    spec = next(s for s in SERVICES if s.name == "sla-monitor")
    port = free_port()
    env = platform.env | {
        "SLA_MONITOR_HTTP_PORT": str(port),
        "SLA_MONITOR_SERVICE_NAME": name,
        "SLA_MONITOR_MONGODB_DATABASE": f"it_{name.replace('-', '_')}",
        "SLA_MONITOR_CLOCK_OFFSET_S": str(WEEK.total_seconds()),
        "SLA_MONITOR_SCAN_INTERVAL_S": "0.5",
    }
    ahead = ServiceProcess(tmp_path, replace(spec, port=port), env, REPO)
    ahead.spawn()
    try:
        await asyncio.to_thread(wait_all_ready, [ahead], 120)
        await journey(platform, ahead.url)
    finally:
        ahead.stop()


async def journey(platform: Any, sla: str) -> None:
    admin = platform.admin_headers()
    async with httpx.AsyncClient(timeout=30) as client:
        rid, code = await platform.submit(
            client, "Lampu jalan mati sudah seminggu, gelap sekali", BANGKA_AT, tag="breach"
        )
        case = await asyncio.to_thread(platform.case, rid)
        assert (case["state"], case["unit_id"]) == ("waiting", BANGKA)

        body: dict[str, Any] = {}
        for _ in range(240):  # the monitor a week ahead signals at its next scan
            body = (await client.get(f"{sla}/v1/sla/cases/{rid}", headers=admin)).json()
            if body["breaches"] and all(b["published"] for b in body["breaches"]):
                break
            await asyncio.sleep(0.25)
        (assignment,) = body["assignments"]
        assert (assignment["unit_id"], assignment["state"]) == (BANGKA, "breached")
        assert [w["warning_at_days"] for w in body["warnings"]] == [4, 5]
        (breach,) = body["breaches"]
        deadline = datetime.fromisoformat(breach["deadline"])
        arrived = datetime.fromisoformat(assignment["arrived_at"])
        assert deadline == arrived + timedelta(days=6)
        assert (breach["official_id"], breach["tracking_code"]) == (LURAH, code)

        # The ledger of the deadline's month charges the Lurah, 10%.
        month = deadline.astimezone(JAKARTA).strftime("%Y-%m")
        as_of = (datetime.now(UTC) + WEEK).isoformat()
        query = {"month": month, "as_of": as_of}
        ledger = (await client.get(f"{sla}/v1/sla/ledger", params=query, headers=admin)).json()
        (official,) = [o for o in ledger["officials"] if o["official_id"] == LURAH]
        assert official["cut_percent"] == 10 and BANGKA in official["units"]
        assert code in [b["tracking_code"] for b in official["breaches"]]
        csv_text = (
            await client.get(
                f"{sla}/v1/sla/ledger", params=query, headers={**admin, "Accept": "text/csv"}
            )
        ).text
        assert any(code in line and LURAH in line for line in csv_text.splitlines())

        # The platform's own monitor (real clock) charges nothing yet.
        own = platform.url("sla-monitor", f"/v1/sla/cases/{rid}")
        real: dict[str, Any] = {"assignments": []}
        for _ in range(120):
            real = (await client.get(own, headers=admin)).json()
            if real["assignments"]:
                break
            await asyncio.sleep(0.25)
        assert real["breaches"] == [] and real["assignments"][0]["state"] == "open"

    # The platform's notifier told the kelurahan of the breach (webhook or e-mail).
    def told() -> list[Any]:
        outside = platform.outside
        hooks = [r for r in outside.units.matching(code) if b"sla_breached" in r.body]
        mails = [m for m in outside.smtp.mails if code.encode() in m.raw]
        return hooks + [m for m in mails if breach_subject(m)]

    for _ in range(120):
        if told():
            break
        await asyncio.sleep(0.25)
    assert told(), "the unit heard nothing of its breach"


def breach_subject(mail: Any) -> bool:
    """A breach message (not a warning): 'melewati batas waktu' in its text."""
    part = mail.message.get_body(preferencelist=("plain",))
    return part is not None and "melewati batas waktu" in part.get_content()
