"""Who hears what (pure)."""

import uuid
from datetime import UTC, datetime

from aduan_notifier.domain import notifications_for
from aduan_shared.events import Actor, ReportState, SlaBreached, StatusChanged

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def change(to: ReportState, reporter_ref: str | None = "rep-1") -> StatusChanged:
    return StatusChanged(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        report_id=uuid.uuid4(),
        correlation_id="c",
        from_state=ReportState.RECEIVED,
        to_state=to,
        unit_id="kelurahan:1",
        actor=Actor(role="system", id="t"),
        version=1,
        reporter_ref=reporter_ref,
    )


def test_new_case_tells_reporter_and_unit() -> None:
    out = notifications_for(change(ReportState.WAITING))
    assert [(n.recipient_kind, n.recipient, n.template) for n in out] == [
        ("reporter", "rep-1", "routed"),
        ("unit", "kelurahan:1", "unit_new_case"),
    ]


def test_reporter_without_contact_hears_nothing() -> None:
    out = notifications_for(change(ReportState.DONE, reporter_ref=None))
    assert out == []


def test_breach_goes_to_the_unit_only() -> None:
    breach = SlaBreached(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        report_id=uuid.uuid4(),
        correlation_id="c",
        assignment_id="a",
        unit_id="kelurahan:1",
        kind="response",
        deadline=NOW,
        days_elapsed=6.0,
    )
    [n] = notifications_for(breach)
    assert (n.recipient_kind, n.template) == ("unit", "sla_breached")
