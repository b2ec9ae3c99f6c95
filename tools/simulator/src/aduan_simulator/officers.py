"""Officers acting on cases through disposition's officers' API, as a Lurah's staff would.

A case the geo-router could not place (`coordination`, in the CRM admin pool) is first assigned
by the CRM admin to the Lurah of the place (the admin asked the reporter; the simulator knows).
Once a case is `waiting` at its unit: the unit's officer (JWT role `unit_officer`, `unit_id` the
case's unit) accepts it, optionally schedules it (an estimate three days ahead), completes it with
an evidence photo taken at the report's place (EXIF GPS and time), and the verifier (role
`verifier`) approves it: `done`. Every transition names the version it was decided on
(`If-Match`), taken from the previous answer's ETag.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aduan_shared.auth import issue_dev_token

from aduan_simulator.complaints import JAKARTA_TZ
from aduan_simulator.photos import jpeg
from aduan_simulator.places import Place


class ActionFailed(Exception):
    """A transition was refused, or the case never became actionable."""


class Officers:
    """Acts on cases at disposition (`base_url`) with tokens signed by `jwt_secret`."""

    def __init__(
        self, client: httpx.AsyncClient, base_url: str, jwt_secret: str, wait_s: float = 60
    ) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._secret = jwt_secret
        self._wait_s = wait_s

    def _auth(self, sub: str, roles: list[str], unit_id: str | None = None) -> dict[str, str]:
        token = issue_dev_token(self._secret, sub=sub, roles=roles, unit_id=unit_id, ttl_s=3600)
        return {"Authorization": f"Bearer {token}"}

    async def case(self, report_id: str) -> dict[str, Any] | None:
        """The case as the CRM admin sees it, or None while disposition has not opened it."""
        r = await self._client.get(
            f"{self._base}/v1/cases/{report_id}", headers=self._auth("sim-crm-admin", ["crm_admin"])
        )
        if r.status_code == 404:
            return None
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    async def wait_for(
        self, report_id: str, states: tuple[str, ...] = ("waiting",)
    ) -> dict[str, Any]:
        """The case once disposition opened it, if it is in one of `states`; else (or after
        the wait) ActionFailed."""
        deadline = time.monotonic() + self._wait_s
        last: dict[str, Any] | None = None
        pause = 0.2  # doubling up to 2 s: many waiting officers must not flood disposition
        while time.monotonic() < deadline:
            last = await self.case(report_id)
            if last is not None and last["state"] != "received":
                if last["state"] not in states:
                    raise ActionFailed(f"case {report_id} is {last['state']}, not {states}")
                return last
            await asyncio.sleep(pause)
            pause = min(2.0, pause * 2)
        raise ActionFailed(f"case {report_id} not {states} within {self._wait_s:.0f}s: {last}")

    async def _transition(
        self,
        report_id: str,
        who: dict[str, str],
        version: int,
        action: str,
        photo: bytes | None = None,
        **fields: str,
    ) -> tuple[dict[str, Any], int]:
        url = f"{self._base}/v1/cases/{report_id}/transitions"
        headers = {**who, "If-Match": f'"{version}"'}
        if photo is None:
            r = await self._client.post(url, json={"action": action, **fields}, headers=headers)
        else:
            files = [("photos", (f"bukti-{report_id[:8]}.jpg", photo, "image/jpeg"))]
            form = {"action": action, **fields}
            r = await self._client.post(url, data=form, files=files, headers=headers)
        if r.status_code != 200:
            raise ActionFailed(f"{action} on {report_id}: HTTP {r.status_code} {r.text[:300]}")
        case: dict[str, Any] = r.json()
        return case, int(r.headers["etag"].strip('"'))

    async def handle(self, report_id: str, place: Place, *, schedule: bool, seed: int) -> str:
        """(Assign,) accept, (schedule,) complete with evidence, approve: the final state."""
        case = await self.wait_for(report_id, ("waiting", "coordination"))
        if case["state"] == "coordination":
            admin = self._auth("sim-crm-admin", ["crm_admin"])
            case, _ = await self._transition(
                report_id,
                admin,
                int(case["version"]),
                "assign",
                target_unit_id=place.unit_id,
                note="lokasi dari pelapor",
            )
        unit = case["unit_id"]
        officer = self._auth(f"sim-officer-{unit}", ["unit_officer"], unit)
        version = int(case["version"])
        _, version = await self._transition(report_id, officer, version, "accept", note="dicek")
        if schedule:
            when = (datetime.now(JAKARTA_TZ) + timedelta(days=3)).date().isoformat()
            _, version = await self._transition(
                report_id,
                officer,
                version,
                "schedule",
                note="menunggu material",
                estimated_completion=when,
            )
        photo = await asyncio.to_thread(
            jpeg, seed, gps=(place.lat, place.lon), taken=datetime.now(UTC).astimezone(JAKARTA_TZ)
        )
        _, version = await self._transition(
            report_id, officer, version, "complete", photo=photo, note="sudah ditangani"
        )
        verifier = self._auth("sim-verifier", ["verifier"], "verifier")
        final, _ = await self._transition(report_id, verifier, version, "approve")
        return str(final["state"])
