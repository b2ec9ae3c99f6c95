"""Evidence integrity checks, pure: recycled photos, EXIF time before the report, EXIF far away.

DOMAIN.md "Evidence integrity": completion evidence is *flagged* to the verifier, never rejected
automatically. The API layer decodes the photos and extracts their facts (intake's
`process_photo` yields `phash`, EXIF `gps` and `taken_at`); this module only compares facts:

- `recycled_photo`: its perceptual hash is within `phash_threshold` bits of one of this
  report's own submission photos or of another report's evidence;
- `photo_predates_report`: its EXIF capture time is strictly earlier than `submitted_at`;
- `photo_far_from_location`: its EXIF GPS is strictly more than `max_distance_m` (300 m) from
  the report's location.

A fact that is missing (no phash, no EXIF time, no GPS, a report without location) raises no
flag: absence is not evidence of fraud, and intake strips nothing the verifier cannot ask for.
Naive times (EXIF without an offset tag) are local time of the city (`tz`, Asia/Jakarta).

Also here: `Evidence`, the record of one completion's photos, flags and verdict kept on a case.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from aduan_shared.events import PhotoRef
from pydantic import BaseModel, ConfigDict

JAKARTA = ZoneInfo("Asia/Jakarta")

#: Hamming distance, in bits of imagehash's 64-bit `phash` (16 hex digits), at or below which two
#: photos count as the same picture. Re-encoding, rescaling, mild crops and brightness changes
#: of one picture move a pHash by 0-4 bits; unrelated photos differ by about 32 on average and
#: rarely come below 10. 6 catches a re-saved or resized copy while a genuine "after" photo of
#: the same street, taken again from a similar angle, mostly stays above it. A false positive
#: only costs the verifier a look (flags, not rejections), a false negative lets a fake through.
DEFAULT_PHASH_THRESHOLD = 6
#: DOMAIN.md: EXIF GPS more than 300 m from the report is flagged (exactly 300 m is not).
MAX_DISTANCE_M = 300.0
#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8


class EvidenceFlag(StrEnum):
    RECYCLED_PHOTO = "recycled_photo"
    PHOTO_PREDATES_REPORT = "photo_predates_report"
    PHOTO_FAR_FROM_LOCATION = "photo_far_from_location"


class EvidenceStatus(StrEnum):
    """The verdict on one completion's evidence."""

    PENDING = "pending"  # waiting for the verifier
    APPROVED = "approved"  # the verifier approved: the case is done
    SENT_BACK = "sent_back"  # the verifier sent the work back
    UNVERIFIED = "unverified"  # the city has verification off: done without a verdict
    SET_ASIDE = "set_aside"  # the case was rejected while this evidence awaited the verifier


class Evidence(BaseModel):
    """One completion's evidence as the case keeps it: photos, integrity flags, the verdict."""

    model_config = ConfigDict(frozen=True)
    photos: tuple[PhotoRef, ...]
    flags: tuple[EvidenceFlag, ...] = ()
    submitted_at: datetime
    unit_id: str
    status: EvidenceStatus = EvidenceStatus.PENDING
    decided_at: datetime | None = None


@dataclass(frozen=True)
class PhotoFacts:
    """What the API layer read from one evidence photo before stripping its metadata."""

    sha256: str
    phash: str | None = None  # imagehash.phash, hex (as intake stores it)
    taken_at: datetime | None = None  # EXIF DateTimeOriginal; naive = city local time
    gps: tuple[float, float] | None = None  # (lat, lon) from EXIF


@dataclass(frozen=True)
class PhotoCheck:
    """The flags of one photo, with the measures the verifier sees next to them."""

    sha256: str
    flags: tuple[EvidenceFlag, ...]
    nearest_hamming: int | None  # bits to the most similar known photo (None: nothing to compare)
    distance_m: float | None  # EXIF GPS to the report's location (None: either is missing)


@dataclass(frozen=True)
class EvidenceCheck:
    photos: tuple[PhotoCheck, ...]

    @property
    def flags(self) -> tuple[EvidenceFlag, ...]:
        """Every flag any photo raised, once each, in `EvidenceFlag` order (for the event)."""
        raised = {f for p in self.photos for f in p.flags}
        return tuple(f for f in EvidenceFlag if f in raised)


def check_evidence(
    photos: Sequence[PhotoFacts],
    *,
    submitted_at: datetime,
    location: tuple[float, float] | None,
    own_phashes: Iterable[str | None] = (),
    other_phashes: Iterable[str | None] = (),
    tz: tzinfo = JAKARTA,
    phash_threshold: int = DEFAULT_PHASH_THRESHOLD,
    max_distance_m: float = MAX_DISTANCE_M,
) -> EvidenceCheck:
    """Return the flags of each evidence photo; never raises on missing or malformed facts.

    `own_phashes` are the report's submission photos, `other_phashes` other reports' evidence
    (the caller chooses which: nearby, recent, same unit...). Unparsable hashes are ignored.
    """
    known = [h for h in map(parse_phash, [*own_phashes, *other_phashes]) if h is not None]
    reported = as_aware(submitted_at, tz)
    checks = []
    for photo in photos:
        nearest = _nearest(parse_phash(photo.phash), known)
        distance = haversine_m(photo.gps, location) if photo.gps and location else None
        flags = []
        if nearest is not None and nearest <= phash_threshold:
            flags.append(EvidenceFlag.RECYCLED_PHOTO)
        if photo.taken_at is not None and as_aware(photo.taken_at, tz) < reported:
            flags.append(EvidenceFlag.PHOTO_PREDATES_REPORT)
        if distance is not None and distance > max_distance_m:
            flags.append(EvidenceFlag.PHOTO_FAR_FROM_LOCATION)
        checks.append(PhotoCheck(photo.sha256, tuple(flags), nearest, distance))
    return EvidenceCheck(tuple(checks))


def parse_phash(value: str | None) -> tuple[int, int] | None:
    """(bits, value) of an imagehash hex string; None when absent or not hex."""
    if not value:
        return None
    try:
        return len(value) * 4, int(value, 16)
    except ValueError:
        return None


def hamming(a: str, b: str) -> int | None:
    """Differing bits of two hex perceptual hashes; None when unparsable or of other sizes."""
    pa, pb = parse_phash(a), parse_phash(b)
    if pa is None or pb is None or pa[0] != pb[0]:
        return None
    return (pa[1] ^ pb[1]).bit_count()


def _nearest(photo: tuple[int, int] | None, known: list[tuple[int, int]]) -> int | None:
    if photo is None:
        return None
    bits, value = photo
    distances = [(value ^ v).bit_count() for b, v in known if b == bits]
    return min(distances, default=None)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def as_aware(moment: datetime, tz: tzinfo = JAKARTA) -> datetime:
    """`moment` itself when it has an offset, else read as local time in `tz`."""
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=tz)
