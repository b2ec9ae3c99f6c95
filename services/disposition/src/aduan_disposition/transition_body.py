"""Reading a transition request: `If-Match`, and a JSON body or a form with evidence photos."""

from __future__ import annotations

import re
from datetime import date, datetime

from aduan_shared.bodies import (
    declared_too_large,
    media_type,
    read_json,
    read_photo_uploads,
    validated,
)
from aduan_shared.errors import AduanError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from aduan_shared.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from aduan_disposition.commands import Action, Command, RejectReason

MAX_JSON_BYTES = 64 * 1024
#: A whole form: the photos plus room for the fields and the multipart framing.
MAX_FORM_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


class PreconditionRequired(AduanError):
    """RFC 6585: a transition must say which version it was decided on (`If-Match`)."""

    status, slug, title = 428, "precondition-required", "Precondition required"


class TransitionRequest(BaseModel):
    """The body of `POST /v1/cases/{report_id}/transitions` (CONTRACTS.md, plus reject_reason)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    action: Action
    note: str | None = Field(default=None, max_length=4000)
    target_unit_id: str | None = Field(default=None, max_length=200)
    estimated_completion: datetime | date | None = None
    duplicate_of: str | None = Field(default=None, max_length=100)
    reject_reason: RejectReason | None = None

    def command(self) -> Command:
        return Command(**self.model_dump())


def parse_if_match(header: str | None) -> tuple[int, ...]:
    """The versions an `If-Match` header names (`"3"`, `W/"3"`, `3`, comma-separated).

    Missing, or `*`, is 428: a transition must name the version it was decided on. A value
    that names no version can never match: those are left out (so the request is 412)."""
    if header is None or not header.strip() or header.strip() == "*":
        raise PreconditionRequired(
            'send If-Match with the version (ETag) of the case you decided on, e.g. If-Match: "3"'
        )
    versions = []
    for part in header.split(","):
        m = _ETAG.match(part.strip())
        if m:
            versions.append(int(m[1]))
    return tuple(versions)


async def read_transition(request: Request) -> tuple[TransitionRequest, tuple[bytes, ...]]:
    """The request and its evidence photos' raw bytes (counted and size-checked, not decoded).

    Raises InvalidInput (422), PayloadTooLarge (413) or UnsupportedMediaType (415)."""
    content_type = media_type(request)
    if content_type == "application/json":
        data = await read_json(request, MAX_JSON_BYTES, "a JSON transition")
        return validated(TransitionRequest, data), ()
    if content_type == "multipart/form-data":
        if declared_too_large(request, MAX_FORM_BYTES):
            raise PayloadTooLarge(
                f"at most {MAX_PHOTOS} photos of {MAX_PHOTO_BYTES // 1048576} MB each"
            )
        return await _read_form(request)
    raise UnsupportedMediaType(
        "send application/json, or multipart/form-data with `photos` files for complete"
    )


async def _read_form(request: Request) -> tuple[TransitionRequest, tuple[bytes, ...]]:
    try:
        form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=20, max_part_size=65536)
    except (MultiPartException, HTTPException) as exc:  # in an app, Starlette raises the latter
        why = exc.message if isinstance(exc, MultiPartException) else str(exc.detail)
        if "files" in why.lower():
            raise PayloadTooLarge(f"at most {MAX_PHOTOS} photos ({why})") from exc
        raise InvalidInput(f"malformed form: {why}") from exc
    data: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "photos":
                raise InvalidInput(f"{key}: only `photos` may be files")
            continue
        if value.strip():  # an empty form field is an absent one
            data[key] = value
    try:
        files = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
        raws = await read_photo_uploads(files)
    finally:
        await form.close()
    return validated(TransitionRequest, data), tuple(raws)
