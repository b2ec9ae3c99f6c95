"""Reading request bodies the same way everywhere: bounded, parsed, validated, or a clear 4xx."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from aduan_shared.errors import InvalidInput, PayloadTooLarge
from aduan_shared.photos import MAX_PHOTO_BYTES, check_count

M = TypeVar("M", bound=BaseModel)


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower-cased ("" when absent)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def declared_too_large(request: Request, limit: int) -> bool:
    """Whether the declared Content-Length already exceeds `limit` (checked before reading)."""
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


async def read_json(request: Request, limit: int, what: str) -> Any:
    """The parsed JSON body: 413 over `limit` bytes (declared or read), 422 when not JSON."""
    size = f"{limit // 1024} KB" if limit >= 1024 else f"{limit} bytes"
    too_large = f"{what} is at most {size}"
    if declared_too_large(request, limit):
        raise PayloadTooLarge(too_large)
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(too_large)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from exc


def validated(model: type[M], data: Any) -> M:
    """`data` as `model`, or 422 naming every field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(detail) from exc


async def read_photo_uploads(uploads: Sequence[UploadFile]) -> tuple[bytes, ...]:
    """The uploaded photos' raw bytes, counted (413 over MAX_PHOTOS) and each at most
    MAX_PHOTO_BYTES (413), not yet decoded; the empty part a browser sends when no file was
    chosen is skipped."""
    check_count(len(uploads))
    raws = []
    for upload in uploads:
        raw = await upload.read(MAX_PHOTO_BYTES + 1)
        if len(raw) > MAX_PHOTO_BYTES:
            raise PayloadTooLarge(f"a photo is at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
        if raw or upload.filename:
            raws.append(raw)
    return tuple(raws)
