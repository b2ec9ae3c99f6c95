"""Reading `POST /v1/reports`: a JSON body, or multipart/form-data with the fields and photos."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aduan_shared.bodies import media_type, read_json, read_photo_uploads, validated
from aduan_shared.errors import InvalidInput, UnsupportedMediaType
from aduan_shared.photos import ProcessedPhoto, process_photo
from fastapi import Request
from starlette.datastructures import UploadFile

from aduan_intake.domain import ReportSubmission

MAX_JSON_BYTES = 256 * 1024
_JSON_FIELDS = ("location", "reporter")  # objects, sent as JSON text in a form


async def read_submission(request: Request) -> tuple[ReportSubmission, tuple[bytes, ...]]:
    """The submission and its photos' raw bytes (counted and size-checked, not yet decoded:
    decode them with `process_photos` once the caller is authenticated); 413/415/422 problems."""
    content_type = media_type(request)
    if content_type == "application/json":
        data = await read_json(request, MAX_JSON_BYTES, "a JSON report")
        return validated(ReportSubmission, data), ()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _read_form(request)
    raise UnsupportedMediaType("send application/json or a form (multipart/form-data)")


async def _read_form(request: Request) -> tuple[ReportSubmission, tuple[bytes, ...]]:
    form = await request.form(max_files=10, max_fields=50)
    data: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == "photos" or isinstance(value, UploadFile):
            continue
        if key in _JSON_FIELDS:
            try:
                data[key] = json.loads(value)
            except ValueError as exc:
                raise InvalidInput(f"{key}: not valid JSON") from exc
        else:
            data[key] = value
    if "lat" in data and "lon" in data and "location" not in data:  # a map pick as two fields
        data["location"] = {"lat": data.pop("lat"), "lon": data.pop("lon")}
    submission = validated(ReportSubmission, data)
    files = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
    return submission, await read_photo_uploads(files)


async def process_photos(raws: tuple[bytes, ...]) -> tuple[ProcessedPhoto, ...]:
    """Decode, check and strip the photos (CPU-bound: off the event loop)."""
    return tuple([await asyncio.to_thread(process_photo, raw) for raw in raws])
