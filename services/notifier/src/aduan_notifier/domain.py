"""Who hears what (pure): the notifications an event calls for, and the status answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aduan_shared.events import (
    Event,
    ReportState,
    SlaBreached,
    SlaWarning,
    StatusAsked,
    StatusChanged,
)

#: States whose arrival the reporter hears about (DOMAIN.md; issue 7 adds the sending).
REPORTER_STATES = {
    ReportState.WAITING: "routed",
    ReportState.COORDINATION: "routed",
    ReportState.IN_PROGRESS: "in_progress",
    ReportState.SCHEDULED: "scheduled",
    ReportState.DONE: "done",
    ReportState.REJECTED: "rejected",
}


@dataclass(frozen=True)
class Notification:
    recipient_kind: Literal["reporter", "unit"]
    recipient: str  # a vault reference (reporter_ref, asker_ref) or a unit_id, never a contact
    template: str
    text: str | None = None  # the message itself, where it is decided here (status answers)
    params: dict[str, str] = field(default_factory=dict)


def notifications_for(event: Event) -> list[Notification]:
    """The notifications `event` calls for, in a stable order."""
    if isinstance(event, StatusChanged):
        out: list[Notification] = []
        template = REPORTER_STATES.get(event.to_state)
        if template and event.reporter_ref:
            out.append(Notification("reporter", event.reporter_ref, template))
        if event.to_state == ReportState.WAITING and event.unit_id:
            out.append(Notification("unit", event.unit_id, "unit_new_case"))
        return out
    if isinstance(event, SlaWarning | SlaBreached):
        kind = "sla_breached" if isinstance(event, SlaBreached) else "sla_warning"
        return [Notification("unit", event.unit_id, kind)]
    return []


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
        text = (
            "Mohon sertakan kode laporan Anda (contoh: JKT-7K3M9Q2X) agar kami dapat "
            "memeriksa statusnya."
        )
        return Notification("reporter", asked.asker_ref, "status_needs_code", text)
    if not asked.found:
        text = f"Kode laporan {code} tidak kami temukan. Mohon periksa kembali kodenya."
        return Notification(
            "reporter", asked.asker_ref, "status_unknown_code", text, {"tracking_code": code}
        )
    current = state or ReportState.RECEIVED
    text = f"Status laporan {code}: {current.label}."
    params = {"tracking_code": code, "state": current.value, "label": current.label}
    return Notification("reporter", asked.asker_ref, "status_answer", text, params)
