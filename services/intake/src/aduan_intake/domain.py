"""Normalisation of a submitted report into a `received` event: pure, no I/O."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from aduan_shared.events import (
    Latitude,
    Location,
    Longitude,
    PhotoRef,
    ReportReceived,
    derive_id,
    derived_event_id,
    report_id_for,
    tracking_code_for,
)
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from aduan_intake.channels import WALK_IN

_SPACES = re.compile(r"\s+")
#: Channels whose location is picked on a map by a person (the rest send device positions).
MAP_PICK_CHANNELS = frozenset({"balai_warga", *WALK_IN})


class Point(BaseModel):
    lat: Latitude
    lon: Longitude
    accuracy_m: float | None = Field(default=None, ge=0)


class ReporterContact(BaseModel):
    """Who to answer; sealed in the vault, never in an event."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = None
    handle: str | None = Field(default=None, max_length=200)
    citizen_id: str | None = Field(default=None, max_length=32)

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())


class ReportSubmission(BaseModel):
    """The body of `POST /v1/reports` (CONTRACTS.md "intake")."""

    model_config = ConfigDict(extra="forbid")
    channel: str
    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    category: str | None = Field(default=None, max_length=120)
    description: str = Field(min_length=1, max_length=5000)
    location: Point | None = None
    address_text: str | None = Field(default=None, max_length=500)
    visibility: Literal["private", "public"] = "private"
    reporter: ReporterContact | None = None

    @field_validator("description")
    @classmethod
    def _clean(cls, value: str) -> str:
        cleaned = clean_text(value)
        if not cleaned:
            raise ValueError("description is empty")
        return cleaned


def clean_text(text: str) -> str:
    """Collapse whitespace and drop control characters; keep emoji and Indonesian text."""
    printable = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
    return _SPACES.sub(" ", printable).strip()


def new_report_id(submission: ReportSubmission) -> uuid.UUID:
    """Deterministic for a channel message id (so a retry is the same report), else random."""
    if submission.external_id:
        return report_id_for(submission.channel, submission.external_id)
    return uuid.uuid4()


def reporter_ref_for(report_id: uuid.UUID) -> str:
    """A pseudonym for the reporter of one report; it reveals nothing of the contact."""
    return f"rep-{derive_id('reporter', report_id).hex}"


def received_event(
    submission: ReportSubmission,
    *,
    report_id: uuid.UUID,
    now: datetime,
    correlation_id: str,
    tracking_prefix: str,
    reporter_ref: str | None,
    attempt: int = 0,
    photos: tuple[PhotoRef, ...] = (),
    exif_gps: tuple[float, float] | None = None,
) -> ReportReceived:
    """The `received` event of a submission; a photo's EXIF GPS fills a missing location."""
    location = None
    if submission.location is None and exif_gps is not None:
        location = Location(lat=exif_gps[0], lon=exif_gps[1], source="exif")
    if submission.location is not None:
        source: Literal["gps", "map"] = "map" if submission.channel in MAP_PICK_CHANNELS else "gps"
        location = Location(
            lat=submission.location.lat,
            lon=submission.location.lon,
            source=source,
            accuracy_m=submission.location.accuracy_m,
        )
    return ReportReceived(
        event_id=derived_event_id(report_id, "received"),
        occurred_at=now,
        report_id=report_id,
        correlation_id=correlation_id,
        tracking_code=tracking_code_for(report_id, tracking_prefix, attempt),
        channel=submission.channel,
        external_id=submission.external_id,
        category=submission.category,
        description=submission.description,
        location=location,
        address_text=submission.address_text,
        photos=photos,
        reporter_ref=reporter_ref,
        visibility=submission.visibility,
        submitted_at=now,
    )
