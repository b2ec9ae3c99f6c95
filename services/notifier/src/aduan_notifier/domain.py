"""Who hears what (pure): the notifications an event calls for, and the status answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from aduan_shared.events import (
    Event,
    ReportReceived,
    ReportState,
    SlaBreached,
    SlaWarning,
    StatusAsked,
    StatusChanged,
    derive_id,
)

JAKARTA = ZoneInfo("Asia/Jakarta")

#: States whose arrival the reporter hears about (DOMAIN.md), and the template that tells them.
REPORTER_STATES = {
    ReportState.WAITING: "routed",
    # Being coordinated (the admin pool, a hand-over): not yet with an officer, so not "routed",
    # which the arrival at the unit then says (the citizen would otherwise read it twice).
    ReportState.COORDINATION: "coordination",
    ReportState.IN_PROGRESS: "in_progress",
    ReportState.SCHEDULED: "scheduled",
    ReportState.DONE: "done",
    ReportState.REJECTED: "rejected",
}
#: States in which a unit holds a case it must respond to.
UNIT_ARRIVALS = {ReportState.WAITING, ReportState.DISPOSITION}
#: The recipient of an anonymous LAPOR! complaint's updates: LAPOR! itself, which shows them on
#: the complaint (the push is addressed by LAPOR!'s own id, no contact is needed).
LAPOR_COMPLAINT = "channel:lapor"
#: The verifier's unit id (units.yaml `verifier.id`), the default of NOTIFIER_VERIFIER_UNIT_ID.
VERIFIER = "verifier"


@dataclass(frozen=True)
class Notification:
    recipient_kind: Literal["reporter", "unit"]  # the verifier is a unit
    #: A vault reference (reporter_ref, asker_ref), LAPOR_COMPLAINT or a unit_id; never a contact.
    recipient: str
    template: str
    text: str | None = None  # filled in when rendered (handlers)
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Follower:
    """A report merged into another as its duplicate: its reporter hears when that is done."""

    report_id: str
    reporter_ref: str | None
    channel: str | None
    tracking_code: str | None


def follower_updates(
    done: StatusChanged, followers: list[Follower]
) -> list[tuple[StatusChanged, Notification]]:
    """What the reporters of merged duplicates are told when the original is done: each on its
    own report's channel, so the update is recorded against the follower's report (its id, its
    origin) under an event id derived from the original's `done` and the follower."""
    if done.to_state is not ReportState.DONE:
        return []
    out = []
    for f in followers:
        as_their_report = done.model_copy(
            update={
                "event_id": derive_id(done.event_id, "follower", f.report_id),
                "report_id": uuid.UUID(f.report_id),
                "channel": f.channel,
                "reporter_ref": f.reporter_ref,
                "tracking_code": f.tracking_code,
            }
        )
        recipient = _reporter(as_their_report)
        if recipient is None:
            continue
        params = {
            "tracking_code": f.tracking_code or "-",
            "original_code": done.tracking_code or "-",
            "note": done.completion_note or done.note or "-",
        }
        out.append(
            (as_their_report, Notification("reporter", recipient, "duplicate_done", None, params))
        )
    return out


@dataclass(frozen=True)
class ReportFacts:
    """What the notifier has learnt of a report from its status changes (for SLA signals)."""

    tracking_code: str | None = None
    category: str | None = None


def wib(at: datetime) -> str:
    """A moment as Jakarta people read it: `31/12/2026 23:59`."""
    return at.astimezone(JAKARTA).strftime("%d/%m/%Y %H:%M")


def _day(at: datetime) -> str:
    return at.astimezone(JAKARTA).strftime("%d/%m/%Y")


def reporter_template(event: StatusChanged) -> str | None:
    """The reporter's template for a status change, or None if they are not told.

    `done` → `in_progress` is a reopening; the verifier sending work back (`verification` →
    `in_progress`) is internal: the reporter was never told it was done.
    """
    if event.to_state is ReportState.IN_PROGRESS:
        if event.from_state is ReportState.DONE:
            return "reopened"
        if event.from_state is ReportState.VERIFICATION:
            return None
    return REPORTER_STATES.get(event.to_state)


def notifications_for(
    event: Event, facts: ReportFacts | None = None, verifier: str = VERIFIER
) -> list[Notification]:
    """The notifications `event` calls for, in a stable order.

    `facts` gives SLA signals (which carry no tracking code) the report's code and category.
    Unit notifications carry the tracking code, the category and dates only: never the
    reporter's words, identity or contact.
    """
    if isinstance(event, ReportReceived):
        reporter = _reporter(event)
        if reporter is None:
            return []
        return [Notification("reporter", reporter, "received", None, _code(event))]
    if isinstance(event, StatusChanged):
        return _for_status_change(event, verifier)
    if isinstance(event, SlaWarning | SlaBreached):
        kind = "sla_breached" if isinstance(event, SlaBreached) else "sla_warning"
        known = facts or ReportFacts()
        # Newer SLA signals carry the code themselves; older ones only through `facts`.
        code = getattr(event, "tracking_code", None) or known.tracking_code
        params = {
            "tracking_code": code or "-",
            "deadline": wib(event.deadline),
            "days": f"{event.days_elapsed:.1f}".removesuffix(".0"),
            "kind": event.kind,
        }
        return [Notification("unit", event.unit_id, kind, None, params)]
    return []


def _reporter(event: ReportReceived | StatusChanged) -> str | None:
    """Whom the reporter's updates go to: their vault reference; for an anonymous LAPOR!
    complaint, LAPOR! itself; else nobody."""
    if event.reporter_ref:
        return event.reporter_ref
    return LAPOR_COMPLAINT if event.channel == "lapor" else None


def _code(event: ReportReceived | StatusChanged) -> dict[str, str]:
    return {"tracking_code": event.tracking_code} if event.tracking_code else {}


def _for_status_change(event: StatusChanged, verifier: str) -> list[Notification]:
    out: list[Notification] = []
    template = reporter_template(event)
    reporter = _reporter(event)
    if template and reporter:
        params = _code(event)
        if event.to_state is ReportState.SCHEDULED and event.estimated_completion:
            params["date"] = _day(event.estimated_completion)
        if event.to_state is ReportState.DONE:  # what the unit did, not the verifier's remark
            params["note"] = event.completion_note or event.note or "-"
        elif event.to_state is ReportState.REJECTED:
            params["note"] = event.note or "-"
        out.append(Notification("reporter", reporter, template, None, params))
    unit_params = {**_code(event), "category": event.category or "-"}
    if event.to_state in UNIT_ARRIVALS and event.unit_id:
        arrived_new = event.from_state in (None, ReportState.RECEIVED)
        kind = "unit_new_case" if arrived_new else "unit_handover"
        out.append(Notification("unit", event.unit_id, kind, None, unit_params))
    if event.to_state is ReportState.VERIFICATION:
        out.append(Notification("unit", verifier, "verifier_case", None, unit_params))
    return out


def status_answer(asked: StatusAsked, state: ReportState | None) -> Notification | None:
    """The answer to a status question, on the asker's channel; None if they left no address.

    `state` is the report's latest state as the notifier knows it (None: no status change seen
    yet, so it is still `received`). A question without a code is asked for the code; an unknown
    code is said to be unknown — neither reveals anything about other reports.
    """
    if asked.asker_ref is None:
        return None
    code = asked.tracking_code
    if code is None:
        return Notification("reporter", asked.asker_ref, "status_needs_code")
    if not asked.found:
        return Notification(
            "reporter", asked.asker_ref, "status_unknown_code", None, {"tracking_code": code}
        )
    current = state or ReportState.RECEIVED
    params = {"tracking_code": code, "state": current.value, "label": current.label}
    return Notification("reporter", asked.asker_ref, "status_answer", None, params)
