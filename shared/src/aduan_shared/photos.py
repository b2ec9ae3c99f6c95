"""Photos, pure: sniff, bound, decode, read EXIF GPS/time, strip metadata, re-encode, hash.

Used by intake (report photos) and disposition (completion evidence)."""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import imagehash
from PIL import ExifTags, Image, ImageCms, ImageOps

from aduan_shared.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from aduan_shared.events import PhotoRef

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 5
#: Decoded-size bound (decompression bombs). 50 MP admits 48 MP phone sensors (8000×6000);
#: checked from the header before any pixel is decoded. Pillow's own global limit is untouched.
MAX_PIXELS = 50_000_000
#: EXIF times without an OffsetTimeOriginal are Jakarta local time (WIB, UTC+7, no DST).
WIB = timezone(timedelta(hours=7), "WIB")

JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
_PIL_FORMAT = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
_ACCEPTED = "JPEG, PNG and WebP"
#: Recognised but refused, so the 415 can say what was sent.
_OTHER_MAGIC = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store: re-encoded without any metadata, plus what was read from it."""

    content_type: str  # sniffed from the bytes, never trusted from a header
    data: bytes = field(repr=False)  # re-encoded, ALL metadata stripped
    sha256: str  # of `data`, i.e. of the stored bytes
    phash: str  # imagehash.phash of the (oriented) pixels, hex
    width: int
    height: int
    gps: tuple[float, float] | None  # (lat, lon) from EXIF, read before stripping
    taken_at: datetime | None  # EXIF DateTimeOriginal, aware (WIB unless an offset tag says)

    def to_ref(self, photo_id: str) -> PhotoRef:
        """The event's view of this photo once stored under `photo_id`."""
        return PhotoRef.model_validate(
            {
                "photo_id": photo_id,
                "sha256": self.sha256,
                "content_type": self.content_type,
                "phash": self.phash,
            }
        )


def sniff(data: bytes) -> str | None:
    """The content type from the magic bytes (JPEG, PNG, WebP), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def check_count(n: int) -> None:
    """Refuse a report with more than MAX_PHOTOS photos."""
    if n > MAX_PHOTOS:
        raise PayloadTooLarge(f"at most {MAX_PHOTOS} photos per report (got {n})")


def process_photo(data: bytes) -> ProcessedPhoto:
    """Validate and clean one uploaded photo (CPU-bound: call via `asyncio.to_thread`).

    Raises PayloadTooLarge (over MAX_PHOTO_BYTES or MAX_PIXELS), UnsupportedMediaType (not
    JPEG/PNG/WebP by its magic bytes) or InvalidInput (empty, or not decodable)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PayloadTooLarge(
            f"photo is {len(data) / 1048576:.1f} MB; at most {MAX_PHOTO_BYTES // 1048576} MB "
            "per photo"
        )
    if not data:
        raise InvalidInput("photo is empty")
    content_type = sniff(data)
    if content_type is None:
        raise UnsupportedMediaType(
            f"unsupported photo type{_what(data)}: only {_ACCEPTED} are accepted"
        )
    im = _decode(data, content_type)
    gps, taken_at = _read_exif(im)
    clean = _clean(im, content_type)
    out = _encode(clean, content_type)
    return ProcessedPhoto(
        content_type=content_type,
        data=out,
        sha256=hashlib.sha256(out).hexdigest(),
        phash=str(imagehash.phash(clean)),
        width=clean.width,
        height=clean.height,
        gps=gps,
        taken_at=taken_at,
    )


def _what(data: bytes) -> str:
    head = data[:32]
    for magic, name in _OTHER_MAGIC:
        if head.startswith(magic):
            return f" ({name})"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim"):
        return " (HEIC/HEIF: export it as JPEG)"
    return ""


def _decode(data: bytes, content_type: str) -> Image.Image:
    kind = _PIL_FORMAT[content_type]
    try:
        im = Image.open(io.BytesIO(data), formats=[kind])  # header only: cheap
        w, h = im.size
        if w * h > MAX_PIXELS:
            raise PayloadTooLarge(
                f"photo is {w}×{h} pixels ({w * h / 1e6:.0f} MP); at most {MAX_PIXELS / 1e6:.0f} MP"
            )
        im.load()
    except PayloadTooLarge:
        raise
    except Image.DecompressionBombError as exc:
        raise PayloadTooLarge(f"photo has too many pixels: {exc}") from exc
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, zlib.error, ...
        raise InvalidInput(
            f"photo could not be decoded as {kind} (truncated or corrupt): {exc}"
        ) from exc
    if w == 0 or h == 0:
        raise InvalidInput("photo has no pixels")
    return im


def _read_exif(im: Image.Image) -> tuple[tuple[float, float] | None, datetime | None]:
    """GPS and capture time; broken EXIF yields None, never a rejected photo."""
    try:
        exif = im.getexif()
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:
        return None, None
    return gps_from_ifd(gps_ifd), taken_at_from_ifd(exif_ifd)


def gps_from_ifd(gps: Mapping[int, Any]) -> tuple[float, float] | None:
    """(lat, lon) in decimal degrees from an EXIF GPS IFD; None when absent or not credible."""
    tags = ExifTags.GPS
    lat = _degrees(gps.get(tags.GPSLatitude), _ref(gps.get(tags.GPSLatitudeRef), "NS"), 90)
    lon = _degrees(gps.get(tags.GPSLongitude), _ref(gps.get(tags.GPSLongitudeRef), "EW"), 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0,0: a "no fix" placeholder
        return None
    return lat, lon


def _ref(value: Any, allowed: str) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    ref = value.strip("\x00 ").upper()[:1]
    return ref if ref and ref in allowed else None


def _number(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # a raw (numerator, denominator)
        num, den = value
        return float(num) / float(den) if den else math.nan
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return math.nan


def _degrees(value: Any, ref: str | None, limit: float) -> float | None:
    """D/M/S rationals (or fewer parts) with a N/S/E/W reference; S and W are negative."""
    if ref is None or value is None:
        return None
    parts = list(value) if isinstance(value, (tuple, list)) else [value]
    if not 1 <= len(parts) <= 3:
        return None
    nums = [abs(_number(p)) for p in parts]  # some writers store S/W as negative degrees too
    if not all(math.isfinite(n) for n in nums) or any(n > 60 for n in nums[1:]):
        return None
    deg = sum(n / 60**i for i, n in enumerate(nums))
    if deg > limit:
        return None
    return -deg if ref in "SW" else deg


def taken_at_from_ifd(exif_ifd: Mapping[int, Any]) -> datetime | None:
    """DateTimeOriginal, aware: OffsetTimeOriginal when valid, else Jakarta time (WIB)."""
    raw = exif_ifd.get(ExifTags.Base.DateTimeOriginal)
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    text = raw.strip("\x00 ")
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            naive = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        return None  # also "0000:00:00 00:00:00" and blanks
    return naive.replace(tzinfo=_offset(exif_ifd.get(ExifTags.Base.OffsetTimeOriginal)) or WIB)


def _offset(value: Any) -> timezone | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    m = _OFFSET.match(value.strip("\x00 "))
    if not m:
        return None
    minutes = int(m[2]) * 60 + int(m[3])
    if minutes > 14 * 60 or int(m[3]) >= 60:
        return None
    return timezone(timedelta(minutes=-minutes if m[1] == "-" else minutes))


def _clean(im: Image.Image, content_type: str) -> Image.Image:
    """Oriented as displayed, in sRGB, a mode the format keeps, and with no metadata at all."""
    try:
        oriented = ImageOps.exif_transpose(im)
    except Exception:  # a broken orientation tag: keep the pixels as stored
        oriented = im.copy()
    oriented = _to_srgb(oriented)
    mode = oriented.mode
    has_alpha = mode in ("RGBA", "LA", "PA") or "transparency" in oriented.info
    if content_type == JPEG:
        target = mode if mode in ("RGB", "L") else "RGB"  # CMYK, YCbCr, ... → RGB
    elif content_type == PNG:
        keep = ("1", "L", "LA", "RGB", "RGBA", "I", "I;16")
        target = mode if mode in keep and "transparency" not in oriented.info else ""
        target = target or ("RGBA" if has_alpha else "RGB")
    else:
        target = "RGBA" if has_alpha else "RGB"
    clean = oriented if target == mode else oriented.convert(target)
    if clean is im:
        clean = im.copy()
    clean.info.clear()  # EXIF, XMP, ICC, comments, PNG text: encoders fall back to `info`
    return clean


def _to_srgb(im: Image.Image) -> Image.Image:
    """Apply an embedded ICC profile (e.g. Display P3, CMYK) so dropping it keeps the colours."""
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "CMYK"):
        return im
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if im.mode == "RGB" and "srgb" in ImageCms.getProfileDescription(src).lower():
            return im  # already sRGB: nothing to convert
        out = ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:  # an unusable profile: fall back to the raw pixel values
        return im
    assert out is not None
    return out


def _encode(im: Image.Image, content_type: str) -> bytes:
    """Deterministic for a given Pillow build: same pixels and settings → same bytes."""
    buf = io.BytesIO()
    if content_type == JPEG:
        im.save(buf, "JPEG", quality=90, optimize=True)
    elif content_type == PNG:
        im.save(buf, "PNG", optimize=True)
    else:
        im.save(buf, "WEBP", quality=90, method=4)
    return buf.getvalue()


def warm_up() -> None:
    """Process one tiny photo, so the lazy imports behind decoding and hashing (PIL's plugins,
    scipy's FFT for the perceptual hash: ~200 modules, about a second) happen at start-up, not
    in the first citizen's request, and before the service freezes its start-up objects."""
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (90, 120, 60)).save(out, "JPEG")
    process_photo(out.getvalue())
