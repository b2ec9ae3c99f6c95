"""The vocabulary of the disposition state machine (lifecycle.py): actions, commands, who acts,
the city's policy, and the transition it answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar
from zoneinfo import ZoneInfo

from aduan_shared.events import Actor, PhotoRef, ReportState
from pydantic import BaseModel, ConfigDict

from aduan_disposition.domain import Case
from aduan_disposition.evidence import EvidenceFlag


class Action(StrEnum):
    ACCEPT = "accept"
    HAND_OVER = "hand_over"
    DISPOSE = "dispose"
    ASSIGN = "assign"
    SCHEDULE = "schedule"
    COMPLETE = "complete"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    REOPEN = "reopen"
    REJECT = "reject"


class RejectReason(StrEnum):
    """DOMAIN.md: spam, violates terms, not a government matter, or duplicate of another."""

    SPAM = "spam"
    TERMS_VIOLATION = "terms_violation"
    NOT_GOVERNMENT_MATTER = "not_government_matter"
    DUPLICATE = "duplicate"


class Command(BaseModel):
    """One requested transition: CONTRACTS.md's fields, plus evidence and the reject reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    action: Action
    note: str | None = None
    target_unit_id: str | None = None
    estimated_completion: datetime | date | None = None  # naive = city local time
    duplicate_of: str | None = None
    reject_reason: RejectReason | None = None  # implied `duplicate` when duplicate_of is given
    photos: tuple[PhotoRef, ...] = ()  # evidence, on complete
    flags: tuple[EvidenceFlag, ...] = ()  # evidence.check_evidence(...).flags, on complete


@dataclass(frozen=True)
class Reporter:
    """The citizen, identified by the tracking code of their report (they may only reopen)."""

    ROLE: ClassVar[str] = "reporter"  # the actor role events carry for them
    tracking_code: str


@dataclass(frozen=True)
class Policy:
    """The city's switches: verification on/off, the reporter's reopen window, the timezone."""

    verification_required: bool = True
    reopen_window_days: int = 7
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))


@dataclass(frozen=True)
class Transition:
    """A successful transition: the new case and what its status-changed event carries."""

    case: Case
    action: Action
    actor: Actor
    at: datetime
    from_state: ReportState
    to_state: ReportState
    unit_id: str  # the holder after the transition (a unit or the admin pool)
    previous_unit_id: str  # the holder before it (equal to unit_id when it stayed)
    note: str | None
    estimated_completion: datetime | None
    flags: tuple[EvidenceFlag, ...]
    duplicate_of: str | None
    version: int
