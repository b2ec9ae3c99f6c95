"""Who hears what (pure): the notifications an event calls for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aduan_shared.events import Event, ReportState, SlaBreached, SlaWarning, StatusChanged

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
    recipient: str  # reporter_ref or unit_id, never a contact
    template: str


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
