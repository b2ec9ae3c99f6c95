"""Random action sequences on the state machine keep its invariants (hypothesis, pure)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aduan_disposition.domain import ADMIN_POOL, Case, open_case
from aduan_disposition.evidence import EvidenceFlag, EvidenceStatus
from aduan_disposition.lifecycle import (
    RULES,
    Action,
    Command,
    Policy,
    RejectReason,
    Reporter,
    Transition,
    apply,
)
from aduan_shared.auth import Principal
from aduan_shared.errors import Forbidden, InvalidInput, TransitionNotAllowed
from aduan_shared.events import PhotoRef, ReportRouted, ReportState, tracking_code_for
from aduan_testkit.city import jakarta_units
from hypothesis import event, given, settings
from hypothesis import strategies as st

S = ReportState
A = Action
JKT = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 6, 2, 9, 0, tzinfo=JKT)
REPORT_ID = uuid.UUID(int=1)
OTHER_REPORT = str(uuid.UUID(int=2))

BANGKA, KUNINGAN, KOTA = "kelurahan:31.74.03.1002", "kelurahan:31.74.03.1001", "kota:31.74"
DISHUB, SUDIN_SEL, SUDIN_PUS = "dinas:dishub", "sudin:dishub:31.74", "sudin:dishub:31.71"
BINA_MARGA, SUDIN_BM = "dinas:bina-marga", "sudin:bina-marga:31.74"
UNITS = jakarta_units(
    BANGKA,
    KUNINGAN,
    KOTA,
    DISHUB,
    SUDIN_SEL,
    SUDIN_PUS,
    BINA_MARGA,
    SUDIN_BM,
    ADMIN_POOL,
    "verifier",
)
HANDLING = {u.id for u in UNITS.values() if u.kind not in ("admin_pool", "verifier")}
ADMIN = Principal("adm", "Admin", frozenset({"crm_admin"}), ADMIN_POOL)
VERIFIER = Principal("ver", "Verifier", frozenset({"verifier"}), "verifier")
LEADER = Principal("lead", "Leader", frozenset({"leader"}), None)
PHOTO = PhotoRef(photo_id="ev", sha256="cd" * 32, content_type="image/png", phash="0" * 16)
REFUSALS = (Forbidden, TransitionNotAllowed, InvalidInput)


def officer(unit_id: str | None) -> Principal:
    return Principal(f"off@{unit_id}", "Officer", frozenset({"unit_officer"}), unit_id)


def opened(unit_id: str | None) -> Case:
    at_unit = {"unit_id": unit_id, "unit_name": unit_id, "needs_coordination": False}
    pool = {"needs_coordination": True, "reason": "no_route"}
    return open_case(
        ReportRouted.model_validate(
            {
                "event_id": uuid.UUID(int=3),
                "occurred_at": START,
                "report_id": REPORT_ID,
                "correlation_id": "c",
                "category": "Jalan",
                "category_source": "given",
                "method": "polygon" if unit_id else "none",
                "tracking_code": tracking_code_for(REPORT_ID),
                "channel": "jaki",
                "submitted_at": START,
                "reporter_ref": "rep-1",
                **(at_unit if unit_id else pool),
            }
        )
    )


@dataclass(frozen=True)
class Step:
    """One attempted action; `None`/"fitting" choices resolve against the current case."""

    action: Action | None  # None: one of the actions the current state allows
    pick: int
    actor: str
    note: str | None
    target: str | None
    estimate_days: int
    photos: int
    flags: tuple[EvidenceFlag, ...]
    duplicate_of: str | None
    reject_reason: RejectReason | None
    advance_s: int


steps = st.builds(
    Step,
    action=st.sampled_from([None] * 10 + list(Action)),  # mostly an action the state allows
    pick=st.integers(0, 9),
    actor=st.sampled_from(
        ["fitting"] * 6
        + ["holder", "target", "admin", "verifier", "reporter", "stranger", "leader"]
    ),
    note=st.sampled_from(["alasan"] * 6 + [None, " "]),
    target=st.sampled_from(["fitting", "fitting", None, "unit:unknown", *sorted(UNITS)]),
    estimate_days=st.integers(-2, 10),
    photos=st.sampled_from([1, 1, 1, 2, 0]),
    flags=st.lists(st.sampled_from(EvidenceFlag), max_size=2).map(tuple),
    duplicate_of=st.sampled_from([None, None, OTHER_REPORT, str(REPORT_ID), "bukan-uuid"]),
    reject_reason=st.none() | st.sampled_from(RejectReason),
    advance_s=st.integers(1, 3 * 86400),
)


def resolve(case: Case, step: Step) -> tuple[Action, Any, Command]:
    allowed = sorted(a for a, rule in RULES.items() if case.state in rule.from_states)
    if step.pick:  # `rejected` ends a sequence, so an allowed reject is drawn less often
        allowed = [a for a in allowed if a is not A.REJECT] or allowed
    action = step.action or (allowed[step.pick % len(allowed)] if allowed else A.REOPEN)
    actor = _actor(case, action, step)
    cmd = Command(
        action=action,
        note=step.note,
        target_unit_id=_target(case, action, step),
        estimated_completion=(START + timedelta(days=step.estimate_days)).date(),
        duplicate_of=step.duplicate_of,
        reject_reason=step.reject_reason,
        photos=(PHOTO,) * step.photos,
        flags=step.flags,
    )
    return action, actor, cmd


def _actor(case: Case, action: Action, step: Step) -> Any:
    holder, target = officer(case.unit_id), officer(case.coordination_target_id)
    fitting = {
        A.ASSIGN: ADMIN,
        A.APPROVE: VERIFIER,
        A.SEND_BACK: VERIFIER,
        A.REOPEN: [ADMIN, Reporter(case.tracking_code)][step.pick % 2],
        A.REJECT: [ADMIN, VERIFIER][step.pick % 2],
        A.ACCEPT: target if case.state is S.COORDINATION else holder,
    }.get(action, holder)
    return {
        "fitting": fitting,
        "holder": holder,
        "target": target,
        "admin": ADMIN,
        "verifier": VERIFIER,
        "reporter": Reporter(case.tracking_code),
        "stranger": officer(KUNINGAN if case.unit_id != KUNINGAN else BANGKA),
        "leader": LEADER,
    }[step.actor]


def _target(case: Case, action: Action, step: Step) -> str | None:
    if step.target != "fitting":
        return step.target
    sudins = sorted(u.id for u in UNITS.values() if u.parent_id == case.unit_id)
    others = sorted(HANDLING - {case.unit_id})
    choices = sudins if action is A.DISPOSE and sudins else others
    return choices[step.pick % len(choices)]


def check_invariants(before: Case, t: Transition, actor: Any, policy: Policy) -> None:
    case = t.case
    # versions strictly +1, history append-only
    assert case.version == t.version == before.version + 1
    assert case.history[: len(before.history)] == before.history
    assert len(case.history) == len(before.history) + 1
    last = case.history[-1]
    assert (last.state, last.unit_id, last.at) == (case.state, case.unit_id, t.at)
    assert (t.from_state, t.to_state) == (before.state, case.state)
    assert (t.previous_unit_id, t.unit_id) == (before.unit_id, case.unit_id)
    # exactly one holder: a known handling unit, or the admin pool
    assert case.unit_id in HANDLING or case.unit_id == ADMIN_POOL
    assert case.unit_name == UNITS[case.unit_id].name
    if case.unit_id == ADMIN_POOL:
        assert case.state in (S.COORDINATION, S.REJECTED)
    if case.state is S.COORDINATION:
        assert case.unit_id == ADMIN_POOL
    if case.state is S.DISPOSITION:
        assert UNITS[case.unit_id].kind == "sudin"
    if case.coordination_target_id is not None:
        assert case.state is S.COORDINATION and case.coordination_target_id in HANDLING
    # the estimate exists exactly while scheduled, and was not in the past when set
    assert (case.estimated_completion is not None) == (case.state is S.SCHEDULED)
    if t.to_state is S.SCHEDULED:
        assert case.estimated_completion is not None and case.estimated_completion >= t.at
    # evidence: only the latest may be pending, and only while in verification
    statuses = [e.status for e in case.evidence]
    assert EvidenceStatus.PENDING not in statuses[:-1]
    assert (statuses[-1:] == [EvidenceStatus.PENDING]) == (case.state is S.VERIFICATION)
    if case.state is S.DONE:
        reopened = [h.at for h in case.history if h.action == A.REOPEN.value]
        latest = case.evidence[-1]
        assert latest.photos and latest.submitted_at > max(reopened, default=START)
        ok = (
            {EvidenceStatus.APPROVED}
            if policy.verification_required
            else {EvidenceStatus.UNVERIFIED}
        )
        assert latest.status in ok
    # who acted was allowed to
    if isinstance(actor, Reporter):
        assert t.action is A.REOPEN
        assert t.at - before.history[-1].at <= timedelta(days=policy.reopen_window_days)
    elif t.actor.role == "unit_officer":
        assert actor.unit_id in (before.unit_id, before.coordination_target_id)
    else:
        assert t.actor.role in actor.roles


@settings(max_examples=300, deadline=None)
@given(
    start=st.sampled_from([BANGKA, DISHUB, None]),
    verification=st.booleans(),
    script=st.lists(steps, min_size=10, max_size=60),
)
def test_random_action_sequences_keep_the_invariants(
    start: str | None, verification: bool, script: list[Step]
) -> None:
    policy = Policy(verification_required=verification)
    case, now = opened(start), START
    for step in script:
        now += timedelta(seconds=step.advance_s)
        action, actor, cmd = resolve(case, step)
        try:
            t = apply(case, cmd, actor=actor, units=UNITS, now=now, policy=policy)
        except REFUSALS as refused:
            assert refused.status in (403, 409, 422)
            event(f"refused {refused.status}")
            continue
        assert before_is_open_or_reopened(case, action)
        check_invariants(case, t, actor, policy)
        event(f"{t.actor.role} {action.value}: {t.from_state.value} -> {t.to_state.value}")
        case = t.case


def before_is_open_or_reopened(case: Case, action: Action) -> bool:
    """Nothing leaves `rejected`; only a reopen leaves `done`."""
    return case.state is not S.REJECTED and (case.state is not S.DONE or action is A.REOPEN)
