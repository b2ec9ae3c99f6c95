"""The disposition state machine, transition by transition and refusal by refusal (pure)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aduan_disposition.domain import ADMIN_POOL, Case, open_case, public_timeline
from aduan_disposition.evidence import EvidenceFlag, EvidenceStatus
from aduan_disposition.lifecycle import (
    Action,
    Command,
    Policy,
    RejectReason,
    Reporter,
    Transition,
    apply,
)
from aduan_shared.auth import Principal
from aduan_shared.errors import AduanError, Forbidden, InvalidInput, TransitionNotAllowed
from aduan_shared.events import PhotoRef, ReportRouted, ReportState, tracking_code_for
from aduan_testkit.city import jakarta_units

S = ReportState
A = Action
JKT = ZoneInfo("Asia/Jakarta")
NOW = datetime(2025, 6, 2, 10, 0, tzinfo=JKT)  # a Monday morning in Jakarta

BANGKA, KUNINGAN = "kelurahan:31.74.03.1002", "kelurahan:31.74.03.1001"
KECAMATAN = "kecamatan:31.74.03"
DISHUB, SUDIN_SEL, SUDIN_PUS = "dinas:dishub", "sudin:dishub:31.74", "sudin:dishub:31.71"
BINA_MARGA, SUDIN_BM = "dinas:bina-marga", "sudin:bina-marga:31.74"
UNITS = jakarta_units(
    BANGKA,
    KUNINGAN,
    KECAMATAN,
    DISHUB,
    SUDIN_SEL,
    SUDIN_PUS,
    BINA_MARGA,
    SUDIN_BM,
    ADMIN_POOL,
    "verifier",
)
ADMIN = Principal("adm-1", "Admin", frozenset({"crm_admin"}), ADMIN_POOL)
VERIFIER = Principal("ver-1", "Verifier", frozenset({"verifier"}), "verifier")
LEADER = Principal("lead-1", "Leader", frozenset({"leader"}), None)
INTAKE = Principal("int-1", "Intake", frozenset({"intake_officer"}), BANGKA)
PHOTO = PhotoRef(photo_id="ev-1", sha256="ab" * 32, content_type="image/jpeg", phash="f" * 16)


def officer(unit_id: str) -> Principal:
    return Principal(f"off@{unit_id}", "Officer", frozenset({"unit_officer"}), unit_id)


def opened(unit_id: str | None = BANGKA) -> Case:
    """A case opened by routing: waiting at `unit_id`, or in the admin pool when None."""
    rid = uuid.UUID(int=42)
    at_unit = {"unit_id": unit_id, "unit_name": unit_id, "needs_coordination": False}
    pool = {"needs_coordination": True, "reason": "no_location"}
    routed = ReportRouted.model_validate(
        {
            "event_id": uuid.UUID(int=7),
            "occurred_at": NOW - timedelta(hours=1),
            "report_id": rid,
            "correlation_id": "corr-1",
            "category": "Jalan",
            "category_source": "given",
            "method": "polygon" if unit_id else "none",
            "tracking_code": tracking_code_for(rid),
            "channel": "jaki",
            "submitted_at": NOW - timedelta(hours=1),
            "reporter_ref": "rep-1",
            **(at_unit if unit_id else pool),
        }
    )
    return open_case(routed)


def act(
    case: Case, action: Action, actor: Any = None, *, at: datetime = NOW, **kw: Any
) -> Transition:
    """Apply one action; the default actor is an officer of the case's unit."""
    policy = kw.pop("policy", Policy())
    return apply(
        case,
        Command(action=action, **kw),
        actor=actor or officer(case.unit_id),
        units=UNITS,
        now=at,
        policy=policy,
    )


def complete_kw(**extra: Any) -> dict[str, Any]:
    return {"note": "tambal selesai", "photos": (PHOTO,), **extra}


def at_state(state: ReportState, unit_id: str = BANGKA) -> Case:
    """A case brought to `state` at `unit_id` by legal transitions."""
    case = opened(unit_id)
    steps: dict[ReportState, list[tuple[Action, Any, dict[str, Any]]]] = {
        S.WAITING: [],
        S.IN_PROGRESS: [(A.ACCEPT, None, {})],
        S.SCHEDULED: [
            (A.ACCEPT, None, {}),
            (A.SCHEDULE, None, {"note": "aspal", "estimated_completion": date(2025, 6, 5)}),
        ],
        S.VERIFICATION: [(A.ACCEPT, None, {}), (A.COMPLETE, None, complete_kw())],
        S.DONE: [
            (A.ACCEPT, None, {}),
            (A.COMPLETE, None, complete_kw()),
            (A.APPROVE, VERIFIER, {}),
        ],
        S.COORDINATION: [
            (A.HAND_OVER, None, {"note": "bukan kewenangan", "target_unit_id": KUNINGAN})
        ],
        S.REJECTED: [(A.REJECT, ADMIN, {"note": "spam", "reject_reason": RejectReason.SPAM})],
    }
    for action, actor, kw in steps[state]:
        case = act(case, action, actor, **kw).case
    assert case.state == state
    return case


def at_sudin_in_disposition() -> Case:
    return act(opened(DISHUB), A.DISPOSE, target_unit_id=SUDIN_SEL).case


def assert_refused(error: type[AduanError], status: int, case: Case, *args: Any, **kw: Any) -> None:
    with pytest.raises(error) as info:
        act(case, *args, **kw)
    assert info.value.status == status


# --- bookkeeping every transition does --------------------------------------------------------


def test_a_transition_adds_one_history_entry_and_one_version() -> None:
    case = opened()
    t = act(case, A.ACCEPT, at=NOW + timedelta(minutes=5))
    assert t.version == t.case.version == case.version + 1
    assert t.case.history[:-1] == case.history
    last = t.case.history[-1]
    assert (last.state, last.unit_id, last.action) == (S.IN_PROGRESS, BANGKA, "accept")
    assert last.at == t.at == NOW + timedelta(minutes=5)
    assert last.actor is not None and (last.actor.role, last.actor.id) == (
        "unit_officer",
        f"off@{BANGKA}",
    )
    assert (t.from_state, t.to_state, t.previous_unit_id) == (S.WAITING, S.IN_PROGRESS, BANGKA)


def test_the_input_case_is_left_unchanged() -> None:
    case = opened()
    act(case, A.ACCEPT)
    assert case.state == S.WAITING and case.version == 1 and len(case.history) == 2


def test_unit_names_come_from_the_unit_map_and_the_timeline_shows_no_identity() -> None:
    t = act(opened(DISHUB), A.DISPOSE, target_unit_id=SUDIN_SEL, note="tolong ditangani")
    assert t.case.unit_name == "Suku Dinas Perhubungan Jakarta Selatan"
    timeline = public_timeline(t.case)
    assert timeline[-1]["label"] == "Disposisi"
    assert "off@" not in str(timeline) and "rep-1" not in str(timeline)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        act(opened(), A.ACCEPT, at=NOW.replace(tzinfo=None))


def test_a_case_with_evidence_survives_the_document_round_trip() -> None:
    case = act(at_state(S.IN_PROGRESS), A.COMPLETE, **complete_kw(flags=("recycled_photo",))).case
    assert Case.from_document(case.to_document()) == case


# --- accept -------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: at_state(S.WAITING), at_sudin_in_disposition])
def test_the_unit_accepts_a_waiting_or_disposed_case(make: Any) -> None:
    case = make()
    t = act(case, A.ACCEPT)
    assert (t.to_state, t.unit_id) == (S.IN_PROGRESS, case.unit_id)


def test_the_named_target_accepts_from_coordination_into_waiting() -> None:
    case = at_state(S.COORDINATION)
    t = act(case, A.ACCEPT, officer(KUNINGAN))
    assert (t.from_state, t.to_state) == (S.COORDINATION, S.WAITING)
    assert (t.unit_id, t.previous_unit_id) == (KUNINGAN, ADMIN_POOL)
    assert t.case.coordination_target_id is None
    assert act(t.case, A.ACCEPT, officer(KUNINGAN)).to_state == S.IN_PROGRESS


@pytest.mark.parametrize("who", [BANGKA, KECAMATAN, ADMIN_POOL])
def test_only_the_named_target_accepts_from_coordination(who: str) -> None:
    assert_refused(Forbidden, 403, at_state(S.COORDINATION), A.ACCEPT, officer(who))


def test_without_a_named_target_no_unit_can_accept_from_the_pool() -> None:
    case = opened(None)
    assert case.state == S.COORDINATION and case.coordination_target_id is None
    for unit_id in (BANGKA, ADMIN_POOL):
        assert_refused(Forbidden, 403, case, A.ACCEPT, officer(unit_id))


# --- hand over ("bukan kewenangan") -------------------------------------------------------------


@pytest.mark.parametrize("target", [KUNINGAN, None])
@pytest.mark.parametrize(
    "make", [lambda: at_state(S.WAITING), lambda: at_state(S.IN_PROGRESS), at_sudin_in_disposition]
)
def test_the_unit_hands_over_to_the_admin_pool(make: Any, target: str | None) -> None:
    case = make()
    t = act(case, A.HAND_OVER, note="bukan kewenangan", target_unit_id=target)
    assert (t.to_state, t.unit_id, t.previous_unit_id) == (S.COORDINATION, ADMIN_POOL, case.unit_id)
    assert t.case.coordination_target_id == target
    assert t.case.history[-1].target_unit_id == target
    assert t.note == "bukan kewenangan"


@pytest.mark.parametrize(
    ("target", "detail"),
    [
        ("kelurahan:99", "unknown unit"),
        (ADMIN_POOL, "not a unit that handles"),
        ("verifier", "not a unit that handles"),
        (BANGKA, "own unit"),
    ],
)
def test_hand_over_target_must_be_another_handling_unit(target: str, detail: str) -> None:
    with pytest.raises(InvalidInput, match=detail):
        act(opened(), A.HAND_OVER, note="bukan kewenangan", target_unit_id=target)


# --- dispose (Dinas → its Sudin) ----------------------------------------------------------------


@pytest.mark.parametrize("state", [S.WAITING, S.IN_PROGRESS])
def test_a_dinas_disposes_to_one_of_its_sudin(state: ReportState) -> None:
    case = at_state(state, DISHUB)
    t = act(case, A.DISPOSE, target_unit_id=SUDIN_PUS)
    assert (t.to_state, t.unit_id, t.previous_unit_id) == (S.DISPOSITION, SUDIN_PUS, DISHUB)
    assert t.case.unit_name == "Suku Dinas Perhubungan Jakarta Pusat"


@pytest.mark.parametrize(
    ("target", "detail"),
    [
        (None, "target_unit_id is required"),
        ("sudin:dishub:99", "unknown unit"),
        (SUDIN_BM, "not a Sudin of dinas:dishub"),
        (BANGKA, "not a Sudin of dinas:dishub"),
        (BINA_MARGA, "not a Sudin of dinas:dishub"),
    ],
)
def test_dispose_target_must_be_a_sudin_of_this_dinas(target: str | None, detail: str) -> None:
    with pytest.raises(InvalidInput, match=detail):
        act(opened(DISHUB), A.DISPOSE, target_unit_id=target)


@pytest.mark.parametrize("unit_id", [BANGKA, SUDIN_SEL])
def test_only_a_dinas_disposes(unit_id: str) -> None:
    assert_refused(TransitionNotAllowed, 409, opened(unit_id), A.DISPOSE, target_unit_id=SUDIN_SEL)


# --- assign from the pool -----------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: opened(None), lambda: at_state(S.COORDINATION)])
@pytest.mark.parametrize("target", [BANGKA, DISHUB, SUDIN_BM])
def test_the_admin_assigns_from_the_pool(make: Any, target: str) -> None:
    t = act(make(), A.ASSIGN, ADMIN, target_unit_id=target)
    assert (t.to_state, t.unit_id, t.previous_unit_id) == (S.WAITING, target, ADMIN_POOL)
    assert t.actor.role == "crm_admin" and t.case.coordination_target_id is None


@pytest.mark.parametrize("target", [None, "", "kota:99", ADMIN_POOL, "verifier"])
def test_assign_needs_a_known_handling_unit(target: str | None) -> None:
    assert_refused(InvalidInput, 422, opened(None), A.ASSIGN, ADMIN, target_unit_id=target)


# --- schedule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimate", "day"),
    [
        (date(2025, 6, 2), date(2025, 6, 2)),  # today: the end of the day is still ahead
        (date(2025, 6, 9), date(2025, 6, 9)),
        (datetime(2025, 6, 2, 8, 0), date(2025, 6, 2)),  # naive: Jakarta time, today
        (datetime(2025, 6, 3, 18, 0, tzinfo=UTC), date(2025, 6, 4)),  # 01:00 WIB next day
    ],
)
def test_schedule_keeps_the_end_of_the_estimated_day(estimate: Any, day: date) -> None:
    t = act(at_state(S.IN_PROGRESS), A.SCHEDULE, note="tunggu aspal", estimated_completion=estimate)
    expected = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=JKT)
    assert t.to_state == S.SCHEDULED
    assert t.estimated_completion == t.case.estimated_completion == expected
    assert t.case.history[-1].estimated_completion == expected


@pytest.mark.parametrize(
    "estimate",
    [
        None,
        date(2025, 6, 1),
        datetime(2025, 6, 1, 23, 59),  # naive: yesterday in Jakarta
        datetime(2025, 6, 1, 16, 59, tzinfo=UTC),  # 23:59 WIB yesterday
    ],
)
def test_schedule_refuses_a_missing_or_past_estimate(estimate: Any) -> None:
    case = at_state(S.IN_PROGRESS)
    assert_refused(InvalidInput, 422, case, A.SCHEDULE, note="x", estimated_completion=estimate)


def test_today_counts_until_the_day_ends_in_the_city_timezone() -> None:
    late = datetime(2025, 6, 2, 23, 30, tzinfo=JKT)  # 16:30 UTC: still June 2nd in Jakarta
    t = act(
        at_state(S.IN_PROGRESS),
        A.SCHEDULE,
        at=late,
        note="x",
        estimated_completion=date(2025, 6, 2),
    )
    assert t.case.estimated_completion == datetime(2025, 6, 2, 23, 59, 59, tzinfo=JKT)
    after_midnight = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)  # 00:00 WIB June 3rd
    with pytest.raises(InvalidInput, match="today is 2025-06-03"):
        act(
            at_state(S.IN_PROGRESS),
            A.SCHEDULE,
            at=after_midnight,
            note="x",
            estimated_completion=date(2025, 6, 2),
        )


def test_the_estimate_is_cleared_when_the_case_leaves_scheduled() -> None:
    t = act(at_state(S.SCHEDULED), A.COMPLETE, **complete_kw())
    assert t.case.estimated_completion is None and t.estimated_completion is None


# --- complete, approve, send back ---------------------------------------------------------------


@pytest.mark.parametrize("state", [S.IN_PROGRESS, S.SCHEDULED])
def test_completion_waits_for_the_verifier_with_its_evidence(state: ReportState) -> None:
    flags = (EvidenceFlag.PHOTO_PREDATES_REPORT, EvidenceFlag.PHOTO_PREDATES_REPORT)
    t = act(at_state(state), A.COMPLETE, **complete_kw(flags=flags))
    assert (t.to_state, t.unit_id) == (S.VERIFICATION, BANGKA)
    assert t.flags == (EvidenceFlag.PHOTO_PREDATES_REPORT,)
    (evidence,) = t.case.evidence
    assert evidence.photos == (PHOTO,) and evidence.status == EvidenceStatus.PENDING
    assert evidence.unit_id == BANGKA and evidence.submitted_at == NOW
    assert t.case.history[-1].flags == ("photo_predates_report",)


def test_with_verification_off_completion_is_done_unverified() -> None:
    t = act(
        at_state(S.IN_PROGRESS),
        A.COMPLETE,
        policy=Policy(verification_required=False),
        **complete_kw(),
    )
    assert t.to_state == S.DONE
    assert t.case.evidence[-1].status == EvidenceStatus.UNVERIFIED


@pytest.mark.parametrize(
    ("kw", "detail"),
    [
        ({"note": "selesai"}, "evidence photo"),
        ({"photos": (PHOTO,)}, "reason"),
        ({"note": "   ", "photos": (PHOTO,)}, "reason"),
    ],
)
def test_completion_needs_a_note_and_a_photo(kw: dict[str, Any], detail: str) -> None:
    with pytest.raises(InvalidInput, match=detail):
        act(at_state(S.IN_PROGRESS), A.COMPLETE, **kw)


def test_the_verifier_approves_the_evidence() -> None:
    case = act(at_state(S.IN_PROGRESS), A.COMPLETE, **complete_kw(flags=("recycled_photo",))).case
    t = act(case, A.APPROVE, VERIFIER, at=NOW + timedelta(hours=2))
    assert (t.to_state, t.unit_id, t.actor.role) == (S.DONE, BANGKA, "verifier")
    assert t.flags == (EvidenceFlag.RECYCLED_PHOTO,)
    assert t.case.evidence[-1].status == EvidenceStatus.APPROVED
    assert t.case.evidence[-1].decided_at == NOW + timedelta(hours=2)


def test_the_verifier_sends_back_with_a_reason() -> None:
    case = at_state(S.VERIFICATION)
    assert_refused(InvalidInput, 422, case, A.SEND_BACK, VERIFIER)
    t = act(case, A.SEND_BACK, VERIFIER, note="foto bukan lokasi ini")
    assert (t.to_state, t.unit_id) == (S.IN_PROGRESS, BANGKA)
    assert t.case.evidence[-1].status == EvidenceStatus.SENT_BACK
    again = act(t.case, A.COMPLETE, **complete_kw()).case
    assert [e.status for e in again.evidence] == [EvidenceStatus.SENT_BACK, EvidenceStatus.PENDING]


def test_approval_without_pending_evidence_is_refused() -> None:
    stale = at_state(S.VERIFICATION).model_copy(update={"evidence": ()})
    assert_refused(TransitionNotAllowed, 409, stale, A.APPROVE, VERIFIER)


# --- reopen -------------------------------------------------------------------------------------


@pytest.mark.parametrize("after", [timedelta(0), timedelta(days=3), timedelta(days=7)])
def test_the_reporter_reopens_within_seven_days(after: timedelta) -> None:
    case = at_state(S.DONE)
    t = act(
        case, A.REOPEN, Reporter(case.tracking_code.lower()), at=NOW + after, note="masih bolong"
    )
    assert (t.to_state, t.unit_id) == (S.IN_PROGRESS, BANGKA)
    assert (t.actor.role, t.actor.id) == ("reporter", "rep-1")


def test_the_reporter_cannot_reopen_after_the_window() -> None:
    case = at_state(S.DONE)
    late = NOW + timedelta(days=7, seconds=1)
    assert_refused(Forbidden, 403, case, A.REOPEN, Reporter(case.tracking_code), at=late)
    short = Policy(reopen_window_days=2)
    at_3_days = NOW + timedelta(days=3)
    assert_refused(
        Forbidden, 403, case, A.REOPEN, Reporter(case.tracking_code), at=at_3_days, policy=short
    )


def test_the_admin_reopens_any_time() -> None:
    t = act(at_state(S.DONE), A.REOPEN, ADMIN, at=NOW + timedelta(days=90))
    assert (t.to_state, t.actor.role) == (S.IN_PROGRESS, "crm_admin")


def test_a_reporter_with_another_tracking_code_cannot_reopen() -> None:
    assert_refused(Forbidden, 403, at_state(S.DONE), A.REOPEN, Reporter("JKT-22222222"))


@pytest.mark.parametrize("action", [a for a in Action if a is not A.REOPEN])
def test_a_reporter_may_only_reopen(action: Action) -> None:
    case = at_state(S.WAITING)
    assert_refused(Forbidden, 403, case, action, Reporter(case.tracking_code), note="x")


def test_a_reporter_reopening_an_open_case_is_a_conflict() -> None:
    case = at_state(S.IN_PROGRESS)
    assert_refused(TransitionNotAllowed, 409, case, A.REOPEN, Reporter(case.tracking_code))


# --- reject -------------------------------------------------------------------------------------

OPEN = [S.WAITING, S.COORDINATION, S.IN_PROGRESS, S.SCHEDULED, S.VERIFICATION]


@pytest.mark.parametrize("who", [ADMIN, VERIFIER], ids=["admin", "verifier"])
@pytest.mark.parametrize("state", OPEN)
def test_admin_or_verifier_rejects_any_open_case(state: ReportState, who: Principal) -> None:
    case = at_state(state)
    t = act(
        case, A.REJECT, who, note="bukan urusan pemerintah", reject_reason="not_government_matter"
    )
    assert (t.to_state, t.unit_id) == (S.REJECTED, case.unit_id)
    assert t.case.reject_reason == "not_government_matter" and t.duplicate_of is None
    assert t.case.coordination_target_id is None and t.case.estimated_completion is None


def test_a_disposed_case_can_be_rejected() -> None:
    assert act(at_sudin_in_disposition(), A.REJECT, ADMIN, note="spam").to_state == S.REJECTED


@pytest.mark.parametrize("reason", [None, RejectReason.DUPLICATE])
def test_a_duplicate_reject_records_the_other_report(reason: RejectReason | None) -> None:
    other = uuid.UUID(int=99)
    t = act(
        opened(),
        A.REJECT,
        ADMIN,
        note="sama",
        duplicate_of=str(other).upper(),
        reject_reason=reason,
    )
    assert t.duplicate_of == t.case.duplicate_of == str(other)
    assert t.case.reject_reason == "duplicate"
    assert t.case.history[-1].duplicate_of == str(other)


@pytest.mark.parametrize(
    ("kw", "detail"),
    [
        ({"reject_reason": "duplicate"}, "requires duplicate_of"),
        ({"reject_reason": "duplicate", "duplicate_of": "  "}, "requires duplicate_of"),
        ({"duplicate_of": str(uuid.UUID(int=42))}, "this report itself"),
        ({"duplicate_of": "JKT-7K3M9Q2X"}, "not a report id"),
        ({"reject_reason": "spam", "duplicate_of": str(uuid.UUID(int=9))}, "only when"),
    ],
)
def test_duplicate_of_must_name_another_report(kw: dict[str, Any], detail: str) -> None:
    with pytest.raises(InvalidInput, match=detail):
        act(opened(), A.REJECT, ADMIN, note="sama", **kw)


def test_reject_needs_a_reason() -> None:
    assert_refused(InvalidInput, 422, opened(), A.REJECT, ADMIN, reject_reason="spam")


@pytest.mark.parametrize("state", [S.DONE, S.REJECTED])
def test_a_closed_case_cannot_be_rejected(state: ReportState) -> None:
    assert_refused(TransitionNotAllowed, 409, at_state(state), A.REJECT, ADMIN, note="spam")


# --- refusals: role (403), unit (403), state (409), reason (422) --------------------------------


@pytest.mark.parametrize(
    ("action", "who"),
    [
        (A.ACCEPT, ADMIN),
        (A.ACCEPT, VERIFIER),
        (A.HAND_OVER, ADMIN),
        (A.DISPOSE, ADMIN),
        (A.SCHEDULE, VERIFIER),
        (A.COMPLETE, ADMIN),
        (A.ASSIGN, officer(BANGKA)),
        (A.ASSIGN, VERIFIER),
        (A.APPROVE, ADMIN),
        (A.APPROVE, officer(BANGKA)),
        (A.SEND_BACK, officer(BANGKA)),
        (A.REOPEN, VERIFIER),
        (A.REOPEN, officer(BANGKA)),
        (A.REJECT, officer(BANGKA)),
        *((a, p) for a in Action for p in (LEADER, INTAKE)),
    ],
)
def test_wrong_role_is_forbidden(action: Action, who: Principal) -> None:
    with pytest.raises(Forbidden, match="requires one of the roles") as info:
        act(opened(), action, who, note="x", target_unit_id=KUNINGAN)
    assert info.value.status == 403


@pytest.mark.parametrize(
    ("action", "kw"),
    [
        (A.ACCEPT, {}),
        (A.HAND_OVER, {"note": "x"}),
        (A.SCHEDULE, {"note": "x", "estimated_completion": date(2025, 6, 9)}),
        (A.COMPLETE, complete_kw()),
    ],
)
@pytest.mark.parametrize("who", [KUNINGAN, KECAMATAN, None], ids=["other", "parent", "no-unit"])
def test_officers_act_only_on_cases_at_their_unit(
    action: Action, kw: dict[str, Any], who: str | None
) -> None:
    case = at_state(S.IN_PROGRESS) if action is not A.ACCEPT else opened()
    stranger = Principal("o", "O", frozenset({"unit_officer"}), who)
    with pytest.raises(Forbidden, match="their own unit"):
        act(case, action, stranger, **kw)


def test_a_sudin_officer_cannot_dispose_for_its_dinas() -> None:
    assert_refused(
        Forbidden, 403, opened(DISHUB), A.DISPOSE, officer(SUDIN_SEL), target_unit_id=SUDIN_SEL
    )


def test_a_principal_with_several_roles_acts_in_the_one_that_may() -> None:
    both = Principal("x", "X", frozenset({"unit_officer", "crm_admin"}), KUNINGAN)
    t = act(opened(None), A.ASSIGN, both, target_unit_id=BANGKA)
    assert t.actor.role == "crm_admin"
    both_reject = Principal("y", "Y", frozenset({"verifier", "crm_admin"}), None)
    assert act(opened(), A.REJECT, both_reject, note="spam").actor.role == "crm_admin"


ALLOWED: dict[Action, set[ReportState]] = {
    A.ACCEPT: {S.WAITING, S.DISPOSITION, S.COORDINATION},
    A.HAND_OVER: {S.WAITING, S.DISPOSITION, S.IN_PROGRESS},
    A.DISPOSE: {S.WAITING, S.IN_PROGRESS},
    A.ASSIGN: {S.COORDINATION},
    A.SCHEDULE: {S.IN_PROGRESS},
    A.COMPLETE: {S.IN_PROGRESS, S.SCHEDULED},
    A.APPROVE: {S.VERIFICATION},
    A.SEND_BACK: {S.VERIFICATION},
    A.REOPEN: {S.DONE},
    A.REJECT: {
        S.WAITING,
        S.COORDINATION,
        S.DISPOSITION,
        S.IN_PROGRESS,
        S.SCHEDULED,
        S.VERIFICATION,
    },
}
RIGHT_ACTOR = {
    A.ASSIGN: ADMIN,
    A.APPROVE: VERIFIER,
    A.SEND_BACK: VERIFIER,
    A.REOPEN: ADMIN,
    A.REJECT: ADMIN,
}
#: States a case can be put in at a Dinas (so dispose's own 409 for non-Dinas does not interfere).
REACHABLE = [
    S.WAITING,
    S.IN_PROGRESS,
    S.SCHEDULED,
    S.VERIFICATION,
    S.DONE,
    S.REJECTED,
    S.COORDINATION,
]


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (a, s)
        for a in Action
        for s in REACHABLE
        if s not in ALLOWED[a] and not (s is S.COORDINATION and a not in RIGHT_ACTOR)
    ],
)
def test_an_action_from_a_state_it_does_not_leave_is_a_conflict(
    action: Action, state: ReportState
) -> None:
    case = at_state(state, DISHUB)
    kw = {**complete_kw(), "target_unit_id": SUDIN_SEL, "estimated_completion": date(2025, 6, 9)}
    assert_refused(TransitionNotAllowed, 409, case, action, RIGHT_ACTOR.get(action), **kw)


@pytest.mark.parametrize(
    "action",
    [a for a in (A.DISPOSE, A.SCHEDULE, A.COMPLETE) if S.DISPOSITION not in ALLOWED[a]],
)
def test_unit_actions_a_disposed_case_does_not_take(action: Action) -> None:
    kw = {**complete_kw(), "target_unit_id": SUDIN_SEL, "estimated_completion": date(2025, 6, 9)}
    assert_refused(TransitionNotAllowed, 409, at_sudin_in_disposition(), action, **kw)


@pytest.mark.parametrize(
    ("state", "action", "actor"),
    [
        (S.WAITING, A.HAND_OVER, None),
        (S.IN_PROGRESS, A.SCHEDULE, None),
        (S.IN_PROGRESS, A.COMPLETE, None),
        (S.VERIFICATION, A.SEND_BACK, VERIFIER),
        (S.WAITING, A.REJECT, ADMIN),
    ],
)
def test_a_reason_is_required(state: ReportState, action: Action, actor: Any) -> None:
    kw = {"photos": (PHOTO,), "estimated_completion": date(2025, 6, 9)}
    for note in (None, "", " \n "):
        assert_refused(InvalidInput, 422, at_state(state), action, actor, note=note, **kw)


def test_rejecting_a_case_in_verification_sets_its_evidence_aside() -> None:
    waiting_for_verdict = act(at_state(S.IN_PROGRESS), A.COMPLETE, **complete_kw()).case
    t = act(waiting_for_verdict, A.REJECT, VERIFIER, note="spam", reject_reason="spam")
    assert t.to_state == S.REJECTED
    [evidence] = t.case.evidence
    assert evidence.status == EvidenceStatus.SET_ASIDE and evidence.decided_at == NOW
