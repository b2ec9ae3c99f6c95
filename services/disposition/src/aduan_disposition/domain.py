"""Cases and their lifecycle as pure code: how a routed report opens a case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aduan_shared.events import Actor, AreaRef, Location, PhotoRef, ReportRouted, ReportState
from pydantic import BaseModel, ConfigDict

from aduan_disposition.evidence import Evidence

ADMIN_POOL = "crm-admin"
ADMIN_POOL_NAME = "Admin CRM (Diskominfotik)"
SYSTEM_ROUTER = Actor(role="system", id="geo-router")


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    state: ReportState
    at: datetime
    unit_id: str | None = None
    unit_name: str | None = None
    actor: Actor | None = None
    note: str | None = None
    # Recorded by the state machine (lifecycle.py); absent on the entries that open a case.
    action: str | None = None
    previous_unit_id: str | None = None
    target_unit_id: str | None = None
    estimated_completion: datetime | None = None
    flags: tuple[str, ...] = ()
    duplicate_of: str | None = None


class Case(BaseModel):
    """A report as officers handle it: at exactly one unit (or the admin pool), with history."""

    model_config = ConfigDict(frozen=True)
    report_id: str
    tracking_code: str
    state: ReportState
    unit_id: str
    unit_name: str
    category: str
    channel: str
    kelurahan: AreaRef | None = None
    kecamatan: AreaRef | None = None
    kota: AreaRef | None = None
    location: Location | None = None
    photos: tuple[PhotoRef, ...] = ()
    visibility: str = "private"
    reporter_ref: str | None = None
    possible_duplicate_of: str | None = None
    recurrence_of: str | None = None
    routing_reason: str | None = None
    version: int
    history: tuple[HistoryEntry, ...]
    # Kept by the state machine (lifecycle.py).
    coordination_target_id: str | None = None  # unit named by a hand-over (state coordination)
    estimated_completion: datetime | None = None  # end of the estimated day (state scheduled)
    evidence: tuple[Evidence, ...] = ()  # each completion's photos, flags and verdict
    reject_reason: str | None = None
    duplicate_of: str | None = None

    def to_document(self) -> dict[str, Any]:
        doc = self.model_dump(mode="python")
        doc["_id"] = doc.pop("report_id")
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Case:
        return cls.model_validate({**doc, "report_id": doc["_id"]})


def open_case(routed: ReportRouted) -> Case:
    """The case a routed report opens: `waiting` at its unit, or `coordination` in the pool."""
    if routed.needs_coordination or routed.unit_id is None:
        state, unit_id, unit_name = ReportState.COORDINATION, ADMIN_POOL, ADMIN_POOL_NAME
        note = routed.reason
    else:
        state, unit_id = ReportState.WAITING, routed.unit_id
        unit_name, note = routed.unit_name or routed.unit_id, None
    received = HistoryEntry(
        state=ReportState.RECEIVED, at=routed.submitted_at or routed.occurred_at
    )
    arrived = HistoryEntry(
        state=state,
        at=routed.occurred_at,
        unit_id=unit_id,
        unit_name=unit_name,
        actor=SYSTEM_ROUTER,
        note=note,
    )
    return Case(
        report_id=str(routed.report_id),
        tracking_code=routed.tracking_code,
        state=state,
        unit_id=unit_id,
        unit_name=unit_name,
        category=routed.category,
        channel=routed.channel,
        kelurahan=routed.kelurahan,
        kecamatan=routed.kecamatan,
        kota=routed.kota,
        location=routed.location,
        photos=routed.photos,
        visibility=routed.visibility,
        reporter_ref=routed.reporter_ref,
        possible_duplicate_of=str(routed.possible_duplicate_of)
        if routed.possible_duplicate_of
        else None,
        recurrence_of=str(routed.recurrence_of) if routed.recurrence_of else None,
        routing_reason=routed.reason,
        version=1,
        history=(received, arrived),
    )


def public_timeline(case: Case) -> list[dict[str, Any]]:
    """The tracking page's timeline: states, unit names and times, never an identity."""
    return [
        {
            "state": h.state.value,
            "label": h.state.label,
            "at": h.at.isoformat(),
            "unit_name": h.unit_name,
        }
        for h in case.history
    ]
