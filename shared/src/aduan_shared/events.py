"""Every Kafka topic name and event model of CONTRACTS.md: the one place they are defined."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# --- topics -------------------------------------------------------------------------------------

REPORT_RECEIVED = "aduan.report.received.v1"
REPORT_ROUTED = "aduan.report.routed.v1"
REPORT_STATUS_CHANGED = "aduan.report.status-changed.v1"
SLA_WARNING = "aduan.sla.warning.v1"
SLA_BREACHED = "aduan.sla.breached.v1"
NOTIFICATION_SENT = "aduan.notification.sent.v1"
#: Beyond CONTRACTS.md's list: a citizen asked a channel for a report's status (intake →
#: notifier, which answers on the asker's channel).
REPORT_STATUS_ASKED = "aduan.report.status-asked.v1"
#: Beyond CONTRACTS.md's list: the reporter rated a done report (disposition → analytics).
REPORT_RATED = "aduan.report.rated.v1"

ALL_TOPICS: tuple[str, ...] = (
    REPORT_RECEIVED,
    REPORT_ROUTED,
    REPORT_STATUS_CHANGED,
    SLA_WARNING,
    SLA_BREACHED,
    NOTIFICATION_SENT,
    REPORT_STATUS_ASKED,
    REPORT_RATED,
)


def dlq_topic(topic: str) -> str:
    """Return the dead-letter topic of `topic` (CONTRACTS.md: `<topic>.dlq`)."""
    return f"{topic}.dlq"


ALL_DLQ_TOPICS: tuple[str, ...] = tuple(dlq_topic(t) for t in ALL_TOPICS)

# --- deterministic ids --------------------------------------------------------------------------

#: Namespace of every Aduan-derived UUID (uuid5); never change it, ids in stored data depend on it.
ADUAN_NAMESPACE = uuid.UUID("8f0f5a2e-6a1c-5b8e-9a57-3c1d2a7e4b10")


def derive_id(*parts: object) -> uuid.UUID:
    """Return a UUID that is a pure function of `parts` (uuid5 in the Aduan namespace)."""
    return uuid.uuid5(ADUAN_NAMESPACE, ":".join(str(p) for p in parts))


def derived_event_id(source_event_id: uuid.UUID, what: str) -> uuid.UUID:
    """Id of the event derived from `source_event_id`, so a republish is an exact duplicate."""
    return derive_id(source_event_id, what)


def report_id_for(channel: str, external_id: str) -> uuid.UUID:
    """The report id of a channel message: the same (channel, external_id) gives the same id."""
    return derive_id("report", channel, external_id)


#: Symbols easy to read aloud and to type back: no 0/O, 1/I/L, U (30 symbols).
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 8


def tracking_code_for(report_id: uuid.UUID, prefix: str = "JKT", attempt: int = 0) -> str:
    """A short tracking code derived from the report id, e.g. `JKT-7K3M9Q2X`.

    8 symbols of 30 (about 39 bits): the same report always gets the same code. Codes can
    collide; the store that assigns them (intake) tries `attempt` 1, 2, ... on a collision, so
    the sequence stays a pure function of the report id.
    """
    n = (derive_id(report_id, "tracking", attempt) if attempt else report_id).int
    symbols = []
    for _ in range(TRACKING_LENGTH):
        n, r = divmod(n, len(TRACKING_ALPHABET))
        symbols.append(TRACKING_ALPHABET[r])
    return f"{prefix}-{''.join(symbols)}"


# --- shared value types -------------------------------------------------------------------------


Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class ReportState(StrEnum):
    """Lifecycle states (DOMAIN.md "Lifecycle"); codes are English, labels Jakarta's."""

    RECEIVED = "received"
    WAITING = "waiting"
    COORDINATION = "coordination"
    DISPOSITION = "disposition"
    IN_PROGRESS = "in_progress"
    SCHEDULED = "scheduled"
    VERIFICATION = "verification"
    DONE = "done"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS: dict[ReportState, str] = {
    ReportState.RECEIVED: "Diterima",
    ReportState.WAITING: "Menunggu",
    ReportState.COORDINATION: "Koordinasi",
    ReportState.DISPOSITION: "Disposisi",
    ReportState.IN_PROGRESS: "Proses",
    ReportState.SCHEDULED: "Estimasi Waktu Selesai",
    ReportState.VERIFICATION: "Menunggu Verifikasi",
    ReportState.DONE: "Selesai",
    ReportState.REJECTED: "Ditolak",
}


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Location(_Value):
    lat: Latitude
    lon: Longitude
    source: Literal["gps", "exif", "map", "text", "none"] = "gps"
    accuracy_m: float | None = Field(default=None, ge=0)


class PhotoRef(_Value):
    photo_id: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/heic"]
    phash: str | None = None


class AreaRef(_Value):
    kode: str
    name: str


class Actor(_Value):
    role: str
    id: str


# --- events -------------------------------------------------------------------------------------


class Event(_Value):
    """Fields every event carries (CONTRACTS.md "Events"). Consumers ignore unknown fields."""

    TOPIC: ClassVar[str]

    event_id: uuid.UUID
    event_type: str
    schema_version: int = 1
    occurred_at: AwareDatetime
    report_id: uuid.UUID
    correlation_id: str

    @property
    def key(self) -> bytes:
        """Kafka key: the report id, so one report's events stay in order on one partition."""
        return str(self.report_id).encode()


class ReportReceived(Event):
    TOPIC: ClassVar[str] = REPORT_RECEIVED
    event_type: Literal["aduan.report.received"] = "aduan.report.received"

    tracking_code: str
    channel: str
    external_id: str | None = None
    category: str | None = None
    description: str
    location: Location | None = None
    address_text: str | None = None
    photos: tuple[PhotoRef, ...] = ()
    reporter_ref: str | None = None
    visibility: Literal["private", "public"] = "private"
    submitted_at: AwareDatetime


class ReportRouted(Event):
    TOPIC: ClassVar[str] = REPORT_ROUTED
    event_type: Literal["aduan.report.routed"] = "aduan.report.routed"

    category: str
    category_source: Literal["given", "classified"]
    category_confidence: float | None = None
    kelurahan: AreaRef | None = None
    kecamatan: AreaRef | None = None
    kota: AreaRef | None = None
    unit_id: str | None = None
    unit_name: str | None = None
    method: Literal["polygon", "snapped", "gazetteer", "none"]
    distance_m: float | None = None
    needs_coordination: bool
    reason: str | None = None
    possible_duplicate_of: uuid.UUID | None = None
    recurrence_of: uuid.UUID | None = None
    # The report itself, carried along so downstream services need not call intake (extension).
    tracking_code: str
    channel: str
    description: str = ""
    location: Location | None = None
    photos: tuple[PhotoRef, ...] = ()
    reporter_ref: str | None = None
    visibility: Literal["private", "public"] = "private"
    submitted_at: AwareDatetime | None = None


class StatusChanged(Event):
    TOPIC: ClassVar[str] = REPORT_STATUS_CHANGED
    event_type: Literal["aduan.report.status-changed"] = "aduan.report.status-changed"

    from_state: ReportState | None
    to_state: ReportState
    unit_id: str | None
    previous_unit_id: str | None = None
    actor: Actor
    note: str | None = None
    estimated_completion: AwareDatetime | None = None
    flags: tuple[str, ...] = ()
    version: int = Field(ge=1)
    # Extensions for consumers that must not call back (notifier, analytics).
    tracking_code: str | None = None
    channel: str | None = None
    category: str | None = None
    reporter_ref: str | None = None
    kelurahan_kode: str | None = None
    duplicate_of: uuid.UUID | None = None
    #: On `done`: the unit's own note on its completion (the approving verifier's is `note`).
    completion_note: str | None = None


class _SlaSignal(Event):
    assignment_id: str
    unit_id: str
    official_id: str | None = None
    kind: Literal["response", "estimate_missed"]
    deadline: AwareDatetime
    days_elapsed: float
    # Extensions: the report's public code (never the reporter) and the official's name.
    tracking_code: str | None = None
    official_name: str | None = None


class SlaWarning(_SlaSignal):
    TOPIC: ClassVar[str] = SLA_WARNING
    event_type: Literal["aduan.sla.warning"] = "aduan.sla.warning"
    warning_at_days: float | None = None


class SlaBreached(_SlaSignal):
    TOPIC: ClassVar[str] = SLA_BREACHED
    event_type: Literal["aduan.sla.breached"] = "aduan.sla.breached"


class NotificationSent(Event):
    TOPIC: ClassVar[str] = NOTIFICATION_SENT
    event_type: Literal["aduan.notification.sent"] = "aduan.notification.sent"

    recipient_kind: Literal["reporter", "unit"]
    channel: str
    template: str
    outcome: Literal["sent", "failed", "gave_up"]
    attempts: int = Field(ge=0)


class StatusAsked(Event):
    """A citizen asked, on a channel, how a report is doing; the notifier answers them there.

    `report_id` is the report the code names when `found`; otherwise an id derived from the
    question's channel message (so the event still has a stable key). `asker_ref` is the vault
    reference of the asker's reply address (they need not be the reporter); None if they gave
    none. `tracking_code` is None when the question named no code.
    """

    TOPIC: ClassVar[str] = REPORT_STATUS_ASKED
    event_type: Literal["aduan.report.status-asked"] = "aduan.report.status-asked"

    tracking_code: str | None
    found: bool
    channel: str
    external_id: str
    asker_ref: str | None = None
    asked_at: AwareDatetime


class ReportRated(Event):
    """The reporter rated the handling of a done report, once (1–5 stars).

    The citizen's comment stays with the case in disposition: free text may name people.
    """

    TOPIC: ClassVar[str] = REPORT_RATED
    event_type: Literal["aduan.report.rated"] = "aduan.report.rated"

    stars: int = Field(ge=1, le=5)
    unit_id: str | None
    tracking_code: str
    version: int = Field(ge=1)  # the case's version when it was rated


_MODELS: tuple[type[Event], ...] = (
    ReportReceived,
    ReportRouted,
    StatusChanged,
    SlaWarning,
    SlaBreached,
    NotificationSent,
    StatusAsked,
    ReportRated,
)
EVENT_MODELS: dict[str, type[Event]] = {m.TOPIC: m for m in _MODELS}
_BY_TYPE: dict[str, type[Event]] = {m.model_fields["event_type"].default: m for m in _MODELS}


def parse_event(raw: str | bytes) -> Event:
    """An event of any Aduan model from its JSON, by its `event_type` (ValueError if unknown)."""
    event_type = Event.model_validate_json(raw).event_type
    model = _BY_TYPE.get(event_type)
    if model is None:
        raise ValueError(f"unknown event_type {event_type!r}")
    return model.model_validate_json(raw)


def utcnow() -> datetime:
    """Aware 'now' in UTC; events carry offsets (RFC 3339), never naive times."""
    return datetime.now(UTC)
