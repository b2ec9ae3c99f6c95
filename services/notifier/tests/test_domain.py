"""Who hears what (pure)."""

import uuid
from datetime import UTC, datetime

from aduan_notifier.domain import notifications_for, status_answer
from aduan_shared.events import Actor, ReportState, SlaBreached, StatusAsked, StatusChanged

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


def asked(code: str | None, *, found: bool = True, asker: str | None = "ask-1") -> StatusAsked:
    return StatusAsked(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        report_id=uuid.uuid4(),
        correlation_id="c",
        tracking_code=code,
        found=found,
        channel="sms_whatsapp",
        external_id="wamid.1",
        asker_ref=asker,
        asked_at=NOW,
    )


def test_status_answer_names_the_state_by_its_jakarta_label() -> None:
    answer = status_answer(asked("JKT-7K3M9Q2X"), ReportState.IN_PROGRESS)
    assert answer is not None
    assert (answer.recipient_kind, answer.recipient, answer.template) == (
        "reporter",
        "ask-1",
        "status_answer",
    )
    assert answer.text == "Status laporan JKT-7K3M9Q2X: Proses."
    assert answer.params == {
        "tracking_code": "JKT-7K3M9Q2X",
        "state": "in_progress",
        "label": "Proses",
    }


def test_status_answer_before_any_status_change_is_received() -> None:
    answer = status_answer(asked("JKT-7K3M9Q2X"), None)
    assert answer is not None and answer.params["label"] == "Diterima"


def test_unknown_code_and_missing_code_get_their_own_answers() -> None:
    unknown = status_answer(asked("JKT-22222222", found=False), None)
    assert unknown is not None and unknown.template == "status_unknown_code"
    assert "JKT-22222222" in (unknown.text or "") and "state" not in unknown.params
    no_code = status_answer(asked(None, found=False), None)
    assert no_code is not None and no_code.template == "status_needs_code"


def test_a_question_without_a_reply_address_is_not_answered() -> None:
    assert status_answer(asked("JKT-7K3M9Q2X", asker=None), ReportState.DONE) is None
