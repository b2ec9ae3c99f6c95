"""The common inbound-message shape, payload field readers and HMAC checks (pure, no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from aduan_shared.errors import InvalidInput, Unauthenticated

#: Jakarta's offset (WIB, no daylight saving): used for naive timestamps from Indonesian systems.
WIB = timezone(timedelta(hours=7), "WIB")


@dataclass(frozen=True)
class InboundMessage:
    """One message from a channel, normalised; `sender` goes to the sealed vault, never events."""

    channel: str
    external_id: str
    text: str
    received_at: datetime
    sender: dict[str, str]
    lat: float | None = None
    lon: float | None = None
    photo_urls: tuple[str, ...] = ()
    photo_media_ids: tuple[str, ...] = ()
    photo_base64: tuple[str, ...] = ()
    category: str | None = None
    address_text: str | None = None
    is_reply: bool = False
    anonymous: bool = False
    secret: bool = False

    @property
    def has_attachments(self) -> bool:
        """Photos or a location: content even when the text is empty."""
        media = self.photo_urls or self.photo_media_ids or self.photo_base64
        return bool(media) or self.lat is not None


# --- payload readers: every malformed field is a 422 naming the field, never a KeyError ----------


def as_dict(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a JSON object")
    return value


def as_list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{field} must be a JSON array")
    return value


def opt_dict(obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
    value = obj.get(key)
    return None if value is None else as_dict(value, f"{path}.{key}")


def opt_list(obj: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = obj.get(key)
    return [] if value is None else as_list(value, f"{path}.{key}")


def req_str(obj: Mapping[str, Any], key: str, path: str, *, allow_int: bool = False) -> str:
    """A required non-empty string (ids given as integers are accepted when `allow_int`)."""
    value = obj.get(key)
    if value is None:
        raise InvalidInput(f"{path}.{key} is required")
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{path}.{key} must be a non-empty string")
    return value.strip()


def opt_str(obj: Mapping[str, Any], key: str, path: str) -> str | None:
    """An optional string: absent, null or blank is None."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{path}.{key} must be a string")
    return value.strip() or None


def opt_bool(obj: Mapping[str, Any], key: str, path: str) -> bool:
    value = obj.get(key, False)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise InvalidInput(f"{path}.{key} must be a boolean")


def to_float(value: Any, field: str) -> float:
    """A finite number (numeric strings accepted, booleans not)."""
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise InvalidInput(f"{field} must be a number") from None
    else:
        raise InvalidInput(f"{field} must be a number")
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be a finite number")
    return number


def lat_lon(lat: Any, lon: Any, path: str) -> tuple[float, float]:
    """A validated (lat, lon) pair."""
    la, lo = to_float(lat, f"{path}.lat"), to_float(lon, f"{path}.lon")
    if not -90 <= la <= 90:
        raise InvalidInput(f"{path}.lat must be between -90 and 90")
    if not -180 <= lo <= 180:
        raise InvalidInput(f"{path}.lon must be between -180 and 180")
    return la, lo


# --- timestamps -------------------------------------------------------------------------------


def from_epoch(value: Any, field: str, *, unit: Literal["s", "ms"]) -> datetime:
    """An aware UTC datetime from epoch seconds or milliseconds (number or numeric string)."""
    number = to_float(value, field)
    seconds = number / 1000 if unit == "ms" else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(f"{field} is not a valid timestamp") from None


def parse_iso(value: Any, field: str, *, naive_tz: timezone | None = None) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp; naive ones take `naive_tz`, or are refused without it."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be an RFC 3339 timestamp string")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{field} is not a valid RFC 3339 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        if naive_tz is None:
            raise InvalidInput(f"{field} must include a UTC offset: {value!r}")
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed


# --- signatures -------------------------------------------------------------------------------


def _key(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        raise Unauthenticated("the channel's secret is not configured")
    return key


def hmac_sha256(secret: str | bytes, message: str | bytes) -> bytes:
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(_key(secret), data, hashlib.sha256).digest()


def check_hmac_header(
    secret: str | bytes,
    body: bytes,
    header: str | None,
    *,
    header_name: str,
    encoding: Literal["hex", "base64"],
) -> None:
    """Raise Unauthenticated unless `header` is `sha256=<hex|base64 HMAC-SHA256(secret, body)>`."""
    if not header or not header.strip():
        raise Unauthenticated(f"missing {header_name} header")
    scheme, sep, given = header.strip().partition("=")
    if not sep or scheme.lower() != "sha256" or not given:
        raise Unauthenticated(f"{header_name} must be 'sha256=<signature>'")
    digest = hmac_sha256(secret, body)
    if encoding == "hex":
        expected, given = digest.hex(), given.lower()
    else:
        expected = base64.b64encode(digest).decode()
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise Unauthenticated(f"{header_name} does not match the body")


def check_secret(expected: str, given: str | None, *, what: str = "API key") -> None:
    """Constant-time comparison of a shared secret; an unset expected secret refuses everyone."""
    if not expected:
        raise Unauthenticated(f"the channel's {what} is not configured")
    if not given:
        raise Unauthenticated(f"missing {what}")
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")):
        raise Unauthenticated(f"invalid {what}")


def dedupe(items: list[str]) -> tuple[str, ...]:
    """The items once each, in first-seen order."""
    return tuple(dict.fromkeys(items))
