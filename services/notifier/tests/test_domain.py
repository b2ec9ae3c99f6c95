"""Who hears what (pure)."""

import uuid
from datetime import UTC, datetime

from aduan_notifier.domain import (
    LAPOR_COMPLAINT,
    Follower,
    ReportFacts,
    follower_updates,
    notifications_for,
    status_answer,
)
from aduan_notifier.templates import render
from aduan_shared.events import (
    Actor,
    ReportReceived,
    ReportState,
    SlaBreached,
    SlaWarning,
    StatusAsked,
    StatusChanged,
    derive_id,
)

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
    assert render(answer.template, answer.params) == "Status laporan JKT-7K3M9Q2X: Proses."
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
    assert unknown.params == {"tracking_code": "JKT-22222222"}
    no_code = status_answer(asked(None, found=False), None)
    assert no_code is not None and no_code.template == "status_needs_code"


def test_a_question_without_a_reply_address_is_not_answered() -> None:
    assert status_answer(asked("JKT-7K3M9Q2X", asker=None), ReportState.DONE) is None


def moved(frm: ReportState | None, to: ReportState, **extra: object) -> list[tuple[str, str, str]]:
    event = change(to).model_copy(update={"from_state": frm, "tracking_code": "JKT-1", **extra})
    return [(n.recipient_kind, n.recipient, n.template) for n in notifications_for(event)]


def test_reopening_and_sending_back_are_told_apart() -> None:
    assert moved(ReportState.DONE, ReportState.IN_PROGRESS) == [("reporter", "rep-1", "reopened")]
    assert moved(ReportState.VERIFICATION, ReportState.IN_PROGRESS) == []
    assert moved(ReportState.WAITING, ReportState.IN_PROGRESS) == [
        ("reporter", "rep-1", "in_progress")
    ]


def test_the_reporter_hears_coordination_and_then_the_arrival_at_a_unit_apart() -> None:
    """Admin pool, then a unit: two different messages (the same text twice read as a repeat,
    and was one in make bench's fault run)."""
    to_pool = moved(ReportState.RECEIVED, ReportState.COORDINATION)
    assert to_pool[0] == ("reporter", "rep-1", "coordination")
    assert moved(ReportState.COORDINATION, ReportState.WAITING)[0] == (
        "reporter",
        "rep-1",
        "routed",
    )
    assert render("coordination", {"tracking_code": "JKT-1"}, "id") != render(
        "routed", {"tracking_code": "JKT-1"}, "id"
    )


def test_a_hand_over_is_not_a_new_case_and_the_verifier_hears_of_completion() -> None:
    assert moved(ReportState.COORDINATION, ReportState.WAITING)[1] == (
        "unit",
        "kelurahan:1",
        "unit_handover",
    )
    assert moved(ReportState.WAITING, ReportState.DISPOSITION)[-1][2] == "unit_handover"
    assert moved(ReportState.IN_PROGRESS, ReportState.VERIFICATION) == [
        ("unit", "verifier", "verifier_case")
    ]


def test_params_carry_the_date_the_note_and_no_reporter_data_for_units() -> None:
    due = datetime(2026, 12, 1, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Jakarta
    event = change(ReportState.SCHEDULED).model_copy(
        update={"tracking_code": "JKT-1", "estimated_completion": due}
    )
    [scheduled] = notifications_for(event)
    assert scheduled.params == {"tracking_code": "JKT-1", "date": "01/12/2026"}
    done = change(ReportState.DONE).model_copy(update={"note": "Lubang sudah ditambal"})
    assert notifications_for(done)[0].params["note"] == "Lubang sudah ditambal"
    approved = done.model_copy(update={"note": "ok", "completion_note": "Sudah diaspal ulang"})
    assert notifications_for(approved)[0].params["note"] == "Sudah diaspal ulang"
    new_case = change(ReportState.WAITING).model_copy(
        update={"tracking_code": "JKT-1", "category": "Jalan", "note": "Pak Budi 0812"}
    )
    unit = notifications_for(new_case)[1]
    assert unit.params == {"tracking_code": "JKT-1", "category": "Jalan"}


def test_a_received_report_confirms_its_tracking_code() -> None:
    received = ReportReceived(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        report_id=uuid.uuid4(),
        correlation_id="c",
        tracking_code="JKT-7K3M9Q2X",
        channel="email",
        external_id="m1@example.org",
        description="jalan bolong",
        reporter_ref="rep-1",
        submitted_at=NOW,
    )
    [n] = notifications_for(received)
    assert (n.recipient, n.template, n.params) == (
        "rep-1",
        "received",
        {"tracking_code": "JKT-7K3M9Q2X"},
    )
    assert notifications_for(received.model_copy(update={"reporter_ref": None})) == []


def test_sla_signals_name_the_report_by_the_code_seen_in_its_status_changes() -> None:
    warning = SlaWarning(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        report_id=uuid.uuid4(),
        correlation_id="c",
        assignment_id="a",
        unit_id="kelurahan:1",
        kind="response",
        deadline=datetime(2026, 11, 28, 3, tzinfo=UTC),
        days_elapsed=4.0,
    )
    [n] = notifications_for(warning, ReportFacts("JKT-7K3M9Q2X", "Jalan"))
    assert n.template == "sla_warning"
    assert n.params == {
        "tracking_code": "JKT-7K3M9Q2X",
        "deadline": "28/11/2026 10:00",
        "days": "4",
        "kind": "response",
    }


def test_an_anonymous_lapor_complaint_is_updated_on_lapor_itself() -> None:
    anonymous = change(ReportState.DONE, reporter_ref=None).model_copy(update={"channel": "lapor"})
    [n] = notifications_for(anonymous)
    assert (n.recipient_kind, n.recipient, n.template) == ("reporter", LAPOR_COMPLAINT, "done")
    other = change(ReportState.DONE, reporter_ref=None).model_copy(update={"channel": "twitter"})
    assert notifications_for(other) == []


def test_merged_duplicates_hear_on_their_own_report_when_the_original_is_done() -> None:
    done = change(ReportState.DONE).model_copy(
        update={"tracking_code": "JKT-ORIG0001", "note": "ok", "completion_note": "Sudah diaspal"}
    )
    followers = [
        Follower(str(uuid.UUID(int=7)), "rep-7", "twitter", "JKT-DUPL0007"),
        Follower(str(uuid.UUID(int=8)), None, "jaki", "JKT-DUPL0008"),  # no one to tell
    ]
    [(theirs, told)] = follower_updates(done, followers)
    assert (theirs.report_id, theirs.channel, theirs.reporter_ref) == (
        uuid.UUID(int=7),
        "twitter",
        "rep-7",
    )
    assert theirs.event_id == derive_id(done.event_id, "follower", str(uuid.UUID(int=7)))
    assert (told.recipient, told.template) == ("rep-7", "duplicate_done")
    assert told.params == {
        "tracking_code": "JKT-DUPL0007",
        "original_code": "JKT-ORIG0001",
        "note": "Sudah diaspal",
    }
    assert follower_updates(change(ReportState.IN_PROGRESS), followers) == []
