"""The disposition state machine, pure: who may move a case where, and with what (no I/O).

`apply(case, command, actor=..., units=..., now=..., policy=...)` returns a `Transition` (the new
case, version + 1 and one more history entry, plus what the status-changed event carries) or
raises `Forbidden` (403), `TransitionNotAllowed` (409) or `InvalidInput` (422), checked in that
order: first who may act, then whether the action is allowed from the current state, then the
input (only the reporter's reopen window, a 403, is checked after the state, since it is counted
from `done`). Version checking (If-Match, 412) belongs to the store, not here.

Transitions as `RULES` enforces them. "Officer" = a `unit_officer` whose `unit_id` is the unit
named; handling units are kelurahan, kecamatan, kota, dinas and sudin.

    action     from                            to (holder)                   who
    accept     waiting, disposition            in_progress (same unit)       officer of the unit
    accept     coordination, target named      waiting (the named target)    officer of the target
    hand_over  waiting, disposition, in_prog.  coordination (admin pool)     officer of the unit
    dispose    waiting, in_progress at a Dinas disposition (its Sudin)       officer of the Dinas
    assign     coordination                    waiting (the target)          crm_admin
    schedule   in_progress                     scheduled (same unit)         officer of the unit
    complete   in_progress, scheduled          verification (same unit),     officer of the unit
                                               done if verification is off
    approve    verification                    done (same unit)              verifier
    send_back  verification                    in_progress (same unit)       verifier
    reopen     done                            in_progress (same unit)       crm_admin; the reporter
                                                                             within 7 days of done
    reject     any open state                  rejected (same holder)        crm_admin, verifier

Required (422 otherwise): a note (the reason) for hand_over, schedule, complete, send_back and
reject; target_unit_id for assign (a handling unit) and dispose (a Sudin whose parent is the
case's Dinas; dispose at a unit that is not a Dinas is 409); hand_over's optional target must be
a handling unit other than the case's own; schedule's estimated date today or later; complete's
at least one photo; reject's duplicate_of (a report id, not this one) when the reason is
duplicate (implied by giving duplicate_of).

Where a case is: always at exactly one unit (`Case.unit_id`) or in the admin pool (`ADMIN_POOL`).
A case in `coordination` is held by the admin pool: the hand-over ends the unit's assignment
(no SLA clock runs for anyone, DOMAIN.md "Deadlines"), and the unit it suggested is kept
as `Case.coordination_target_id` (only while in coordination). The case leaves the pool when the
admin assigns it to any handling unit, or when an officer of the named target accepts it:
DOMAIN.md says "coordination → waiting at a new unit", so accepting takes the case *in* as
`waiting` (its response clock starts) and a second `accept` starts the work (`in_progress`).
Without a named target only the admin can move it. `disposition` moves the case to the Sudin;
`verification` leaves it at the unit that completed it (a send-back continues that unit's
assignment), and `done`/`rejected` leave it where it was. `Case.estimated_completion` is set
only while `scheduled`: the end (23:59:59) of the estimated day in the city's timezone; a date
or a datetime is accepted, and only its calendar day counts, so today is still "in the future".

Evidence: `complete` appends an `Evidence` (photos, the integrity flags the API computed with
evidence.py, status pending, or unverified when the city turned verification off);
`approve`/`send_back` give the latest one its verdict. The flags travel on the complete, approve
and send_back transitions. The reporter acts as `Reporter(tracking_code)`: the API identifies
them by the tracking code; events name them by the pseudonymous `reporter_ref` only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aduan_shared.auth import Principal, Role
from aduan_shared.cityconfig import Unit
from aduan_shared.errors import Forbidden, InvalidInput, TransitionNotAllowed
from aduan_shared.events import Actor, ReportState

from aduan_disposition.commands import Action, Command, Policy, RejectReason, Reporter, Transition
from aduan_disposition.domain import ADMIN_POOL, ADMIN_POOL_NAME, Case, HistoryEntry
from aduan_disposition.evidence import Evidence, EvidenceFlag, EvidenceStatus

__all__ = [
    "RULES",
    "Action",
    "Command",
    "Policy",
    "RejectReason",
    "Reporter",
    "Rule",
    "Transition",
    "apply",
    "estimated_end_of_day",
]

S = ReportState
REPORTER = Reporter.ROLE
HANDLING_KINDS = frozenset({"kelurahan", "kecamatan", "kota", "dinas", "sudin"})
OPEN_STATES = frozenset(S) - {S.DONE, S.REJECTED}
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class _Ctx:
    case: Case
    cmd: Command
    actor: Actor
    units: Mapping[str, Unit]
    now: datetime
    policy: Policy


@dataclass(frozen=True)
class _Outcome:
    to_state: ReportState
    unit_id: str
    target_unit_id: str | None = None
    estimated_completion: datetime | None = None
    flags: tuple[EvidenceFlag, ...] = ()
    duplicate_of: str | None = None
    updates: dict[str, Any] = field(default_factory=dict)


def _holder(case: Case) -> str | None:
    return case.unit_id


def _accepting_unit(case: Case) -> str | None:
    return case.coordination_target_id if case.state is S.COORDINATION else case.unit_id


@dataclass(frozen=True)
class Rule:
    from_states: frozenset[ReportState]
    roles: tuple[str, ...]  # tried in this order; the first one that may act names the actor
    effect: Callable[[_Ctx], _Outcome]
    note_required: bool = False
    officer_unit: Callable[[Case], str | None] = _holder  # whose unit officers may act


def apply(
    case: Case,
    command: Command,
    *,
    actor: Principal | Reporter,
    units: Mapping[str, Unit],
    now: datetime,
    policy: Policy | None = None,
) -> Transition:
    """Return the transition `command` makes on `case`; raise Forbidden, TransitionNotAllowed
    or InvalidInput (see the module docstring). `now` must be timezone-aware."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    rule = RULES[command.action]
    who = _authorize(command.action, rule, case, actor)
    if case.state not in rule.from_states:
        raise TransitionNotAllowed(
            f"cannot {command.action.value} a case in state {case.state.value}",
            state=case.state.value,
        )
    if rule.note_required and not _clean(command.note):
        raise InvalidInput(f"{command.action.value} requires a reason (note)")
    ctx = _Ctx(case, command, who, units, now, policy or Policy())
    return _commit(ctx, rule.effect(ctx))


def _authorize(action: Action, rule: Rule, case: Case, actor: Principal | Reporter) -> Actor:
    if isinstance(actor, Reporter):
        if REPORTER not in rule.roles:
            raise Forbidden(f"a reporter may not {action.value} a case")
        if actor.tracking_code.strip().upper() != case.tracking_code.upper():
            raise Forbidden("the tracking code is not this case's")
        return Actor(role=REPORTER, id=case.reporter_ref or "anonymous")
    held = [r for r in rule.roles if r in actor.roles]
    if not held:
        raise Forbidden(f"{action.value} requires one of the roles: {', '.join(rule.roles)}")
    for role in held:
        if role != OFFICER or (actor.unit_id and actor.unit_id == rule.officer_unit(case)):
            return Actor(role=str(role), id=actor.sub)
    raise Forbidden(f"unit officers may {action.value} only cases at their own unit")


def _commit(c: _Ctx, out: _Outcome) -> Transition:
    case, note = c.case, _clean(c.cmd.note)
    name = _unit_name(c.units, out.unit_id, case)
    entry = HistoryEntry(
        state=out.to_state,
        at=c.now,
        unit_id=out.unit_id,
        unit_name=name,
        actor=c.actor,
        note=note,
        action=c.cmd.action.value,
        previous_unit_id=case.unit_id,
        target_unit_id=out.target_unit_id,
        estimated_completion=out.estimated_completion,
        flags=tuple(f.value for f in out.flags),
        duplicate_of=out.duplicate_of,
    )
    coordinating = out.to_state is S.COORDINATION
    new = case.model_copy(
        update={
            "state": out.to_state,
            "unit_id": out.unit_id,
            "unit_name": name,
            "version": case.version + 1,
            "history": (*case.history, entry),
            "coordination_target_id": out.target_unit_id if coordinating else None,
            "estimated_completion": out.estimated_completion,
            **out.updates,
        }
    )
    return Transition(
        case=new,
        action=c.cmd.action,
        actor=c.actor,
        at=c.now,
        from_state=case.state,
        to_state=out.to_state,
        unit_id=out.unit_id,
        previous_unit_id=case.unit_id,
        note=note,
        estimated_completion=out.estimated_completion,
        flags=out.flags,
        duplicate_of=out.duplicate_of,
        version=new.version,
    )


# --- effects: what each action does once allowed ---------------------------------------------


def _accept(c: _Ctx) -> _Outcome:
    if c.case.state is S.COORDINATION:  # only the named target's officer gets here
        target = _handling_unit(c.units, c.case.coordination_target_id, "target_unit_id")
        return _Outcome(S.WAITING, target.id)
    return _Outcome(S.IN_PROGRESS, c.case.unit_id)


def _hand_over(c: _Ctx) -> _Outcome:
    target_id = _clean(c.cmd.target_unit_id)
    if target_id is not None:
        _handling_unit(c.units, target_id, "target_unit_id")
        if target_id == c.case.unit_id:
            raise InvalidInput("target_unit_id is the case's own unit")
    return _Outcome(S.COORDINATION, ADMIN_POOL, target_unit_id=target_id)


def _dispose(c: _Ctx) -> _Outcome:
    here = c.units.get(c.case.unit_id)
    if here is None or here.kind != "dinas":
        raise TransitionNotAllowed(f"only a Dinas disposes; {c.case.unit_id} is not a Dinas")
    target = _handling_unit(c.units, _clean(c.cmd.target_unit_id), "target_unit_id")
    if target.kind != "sudin" or target.parent_id != here.id:
        raise InvalidInput(f"{target.id} is not a Sudin of {here.id}")
    return _Outcome(S.DISPOSITION, target.id, target_unit_id=target.id)


def _assign(c: _Ctx) -> _Outcome:
    target = _handling_unit(c.units, _clean(c.cmd.target_unit_id), "target_unit_id")
    return _Outcome(S.WAITING, target.id, target_unit_id=target.id)


def _schedule(c: _Ctx) -> _Outcome:
    due = estimated_end_of_day(c.cmd.estimated_completion, now=c.now, tz=c.policy.timezone)
    return _Outcome(S.SCHEDULED, c.case.unit_id, estimated_completion=due)


def _complete(c: _Ctx) -> _Outcome:
    if not c.cmd.photos:
        raise InvalidInput("complete requires at least one evidence photo")
    verified = c.policy.verification_required
    flags = tuple(dict.fromkeys(c.cmd.flags))
    evidence = Evidence(
        photos=c.cmd.photos,
        flags=flags,
        submitted_at=c.now,
        unit_id=c.case.unit_id,
        status=EvidenceStatus.PENDING if verified else EvidenceStatus.UNVERIFIED,
    )
    to_state = S.VERIFICATION if verified else S.DONE
    return _Outcome(
        to_state, c.case.unit_id, flags=flags, updates={"evidence": (*c.case.evidence, evidence)}
    )


def _verdict(status: EvidenceStatus, to_state: ReportState) -> Callable[[_Ctx], _Outcome]:
    def effect(c: _Ctx) -> _Outcome:
        *earlier, latest = c.case.evidence or (None,)
        if latest is None or latest.status is not EvidenceStatus.PENDING:
            raise TransitionNotAllowed("no evidence is awaiting verification")
        decided = latest.model_copy(update={"status": status, "decided_at": c.now})
        updates = {"evidence": (*earlier, decided)}
        return _Outcome(to_state, c.case.unit_id, flags=latest.flags, updates=updates)

    return effect


def _reopen(c: _Ctx) -> _Outcome:
    if c.actor.role == REPORTER:
        done_at = max((h.at for h in c.case.history if h.state is S.DONE), default=c.now)
        if c.now - done_at > timedelta(days=c.policy.reopen_window_days):
            raise Forbidden(
                f"a reporter may reopen only within {c.policy.reopen_window_days} days of done"
            )
    return _Outcome(S.IN_PROGRESS, c.case.unit_id)


def _reject(c: _Ctx) -> _Outcome:
    duplicate_of = _clean(c.cmd.duplicate_of)
    reason = c.cmd.reject_reason or (RejectReason.DUPLICATE if duplicate_of else None)
    if reason is RejectReason.DUPLICATE:
        duplicate_of = _other_report(duplicate_of, c.case.report_id)
    elif duplicate_of is not None:
        raise InvalidInput("duplicate_of is given only when the reason is duplicate")
    updates: dict[str, Any] = {
        "reject_reason": reason.value if reason else None,
        "duplicate_of": duplicate_of,
    }
    *earlier, latest = c.case.evidence or (None,)
    if latest is not None and latest.status is EvidenceStatus.PENDING:  # no verdict will come
        aside = latest.model_copy(update={"status": EvidenceStatus.SET_ASIDE, "decided_at": c.now})
        updates["evidence"] = (*earlier, aside)
    return _Outcome(S.REJECTED, c.case.unit_id, duplicate_of=duplicate_of, updates=updates)


# --- input checks --------------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    """The text without surrounding blanks; None when nothing is left."""
    stripped = (text or "").strip()
    return stripped or None


def _handling_unit(units: Mapping[str, Unit], unit_id: str | None, name: str) -> Unit:
    if unit_id is None:
        raise InvalidInput(f"{name} is required")
    unit = units.get(unit_id)
    if unit is None:
        raise InvalidInput(f"{name}: unknown unit {unit_id}")
    if unit.kind not in HANDLING_KINDS:
        raise InvalidInput(f"{name}: {unit_id} is a {unit.kind}, not a unit that handles reports")
    return unit


def _unit_name(units: Mapping[str, Unit], unit_id: str, case: Case) -> str:
    if unit_id in units:
        return units[unit_id].name
    if unit_id == ADMIN_POOL:
        return ADMIN_POOL_NAME
    return case.unit_name  # the case stays at a unit the configuration no longer lists


def _other_report(duplicate_of: str | None, report_id: str) -> str:
    if duplicate_of is None:
        raise InvalidInput("a duplicate reject requires duplicate_of")
    try:
        other = str(uuid.UUID(duplicate_of))
    except ValueError:
        raise InvalidInput(f"duplicate_of: {duplicate_of!r} is not a report id") from None
    if other == report_id.lower():
        raise InvalidInput("duplicate_of is this report itself")
    return other


def estimated_end_of_day(
    estimate: datetime | date | None, *, now: datetime, tz: ZoneInfo
) -> datetime:
    """The end (23:59:59, `tz`) of the estimated day; InvalidInput when missing or before today.

    A datetime counts by its calendar day in `tz` (naive = local); so does `now`.
    """
    if estimate is None:
        raise InvalidInput("schedule requires estimated_completion")
    if isinstance(estimate, datetime):
        aware = estimate if estimate.utcoffset() is not None else estimate.replace(tzinfo=tz)
        estimate = aware.astimezone(tz).date()
    today = now.astimezone(tz).date()
    if estimate < today:
        raise InvalidInput(
            f"estimated_completion {estimate.isoformat()} is not in the future "
            f"(today is {today.isoformat()} in {tz.key})"
        )
    return datetime.combine(estimate, END_OF_DAY, tzinfo=tz)


OFFICER, ADMIN, VERIFIER = Role.UNIT_OFFICER.value, Role.CRM_ADMIN.value, Role.VERIFIER.value

#: action → allowed from-states, roles (in the order tried), effect, note required.
RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule(
        frozenset({S.WAITING, S.DISPOSITION, S.COORDINATION}),
        (OFFICER,),
        _accept,
        officer_unit=_accepting_unit,
    ),
    Action.HAND_OVER: Rule(
        frozenset({S.WAITING, S.DISPOSITION, S.IN_PROGRESS}), (OFFICER,), _hand_over, True
    ),
    Action.DISPOSE: Rule(frozenset({S.WAITING, S.IN_PROGRESS}), (OFFICER,), _dispose),
    Action.ASSIGN: Rule(frozenset({S.COORDINATION}), (ADMIN,), _assign),
    Action.SCHEDULE: Rule(frozenset({S.IN_PROGRESS}), (OFFICER,), _schedule, True),
    Action.COMPLETE: Rule(frozenset({S.IN_PROGRESS, S.SCHEDULED}), (OFFICER,), _complete, True),
    Action.APPROVE: Rule(
        frozenset({S.VERIFICATION}), (VERIFIER,), _verdict(EvidenceStatus.APPROVED, S.DONE)
    ),
    Action.SEND_BACK: Rule(
        frozenset({S.VERIFICATION}),
        (VERIFIER,),
        _verdict(EvidenceStatus.SENT_BACK, S.IN_PROGRESS),
        True,
    ),
    Action.REOPEN: Rule(frozenset({S.DONE}), (ADMIN, REPORTER), _reopen),
    Action.REJECT: Rule(OPEN_STATES, (ADMIN, VERIFIER), _reject, True),
}
