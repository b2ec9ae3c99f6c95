"""Status changes as the SLA tests write them: one report's facts, by version."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aduan_shared.events import Actor, ReportState, StatusChanged

KEL = "kelurahan:31.74.03.1002"  # Kelurahan Bangka (its heads are in units.yaml)


def change(
    report: uuid.UUID,
    version: int,
    frm: ReportState | None,
    to: ReportState,
    at: datetime,
    unit: str | None = KEL,
    **extra: Any,
) -> StatusChanged:
    """Version `version` of `report`: `frm` → `to` at `at`, at `unit` (category Jalan)."""
    fields: dict[str, Any] = {
        "correlation_id": f"corr-{version}",
        "category": "Jalan",
        "tracking_code": f"JKT-{report.int % 10**8:08d}",
        **extra,
    }
    return StatusChanged(
        event_id=uuid.uuid5(report, str(version)),
        occurred_at=at,
        report_id=report,
        from_state=frm,
        to_state=to,
        unit_id=unit,
        actor=Actor(role="t", id="t"),
        version=version,
        **fields,
    )
