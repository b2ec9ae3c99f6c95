"""Evidence integrity flags: recycled photos, EXIF time before the report, EXIF GPS far away."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aduan_disposition.evidence import (
    DEFAULT_PHASH_THRESHOLD,
    EARTH_RADIUS_M,
    EvidenceFlag,
    PhotoFacts,
    check_evidence,
    hamming,
    haversine_m,
)

F = EvidenceFlag
JKT_OFFSET = timedelta(hours=7)
SUBMITTED = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)  # 10:00 WIB
HERE = (-6.2500, 106.8300)  # Mampang Prapatan
OWN = "c3a1e0f0b4d2a5f1"
SHA = "ab" * 32


def flip(phash: str, bits: int) -> str:
    """`phash` with its lowest `bits` bits inverted."""
    return f"{int(phash, 16) ^ ((1 << bits) - 1):016x}"


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + math.degrees(metres / EARTH_RADIUS_M), point[1]


def check(photo: PhotoFacts, **kw: Any) -> tuple[EvidenceFlag, ...]:
    kw = {"submitted_at": SUBMITTED, "location": HERE, "own_phashes": [OWN], **kw}
    (result,) = check_evidence([photo], **kw).photos
    return result.flags


def test_a_fresh_photo_on_the_spot_raises_no_flag() -> None:
    photo = PhotoFacts(
        SHA, phash=flip(OWN, 40), taken_at=SUBMITTED + timedelta(hours=3), gps=north_of(HERE, 20)
    )
    result = check_evidence([photo], submitted_at=SUBMITTED, location=HERE, own_phashes=[OWN])
    assert result.flags == ()
    assert result.photos[0].nearest_hamming == 40
    assert result.photos[0].distance_m == pytest.approx(20, abs=1e-6)


def test_missing_facts_raise_no_flag() -> None:
    assert check(PhotoFacts(SHA), location=None) == ()
    assert check(PhotoFacts(SHA, gps=north_of(HERE, 5000)), location=None) == ()


# --- recycled_photo -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bits", "flagged"),
    [(0, True), (DEFAULT_PHASH_THRESHOLD, True), (DEFAULT_PHASH_THRESHOLD + 1, False), (32, False)],
)
def test_a_photo_close_to_the_reports_own_photo_is_recycled(bits: int, flagged: bool) -> None:
    assert (F.RECYCLED_PHOTO in check(PhotoFacts(SHA, phash=flip(OWN, bits)))) is flagged


def test_a_photo_close_to_another_reports_evidence_is_recycled() -> None:
    other = "0123456789abcdef"
    photo = PhotoFacts(SHA, phash=flip(other, 2))
    assert check(photo, own_phashes=[], other_phashes=["ffffffffffffffff", other]) == (
        F.RECYCLED_PHOTO,
    )
    assert check(photo, own_phashes=[], other_phashes=[]) == ()


def test_the_threshold_is_configurable() -> None:
    photo = PhotoFacts(SHA, phash=flip(OWN, 10))
    assert check(photo, phash_threshold=10) == (F.RECYCLED_PHOTO,)
    assert check(photo, phash_threshold=9) == ()


@pytest.mark.parametrize("known", ["", None, "not-hex", "c3a1e0f0b4d2a5f1c3a1e0f0b4d2a5f1"])
def test_unusable_or_other_size_hashes_are_ignored(known: str | None) -> None:
    photo = PhotoFacts(SHA, phash=OWN)
    result = check_evidence(
        [photo], submitted_at=SUBMITTED, location=HERE, own_phashes=[known], other_phashes=[]
    )
    assert result.flags == () and result.photos[0].nearest_hamming is None


def test_hamming_counts_differing_bits_of_same_size_hashes() -> None:
    assert hamming(OWN, flip(OWN, 5)) == 5
    assert hamming(OWN, OWN.upper()) == 0
    assert hamming(OWN, OWN * 2) is None
    assert hamming(OWN, "zz") is None


def test_hamming_agrees_with_imagehash_as_intake_computes_it() -> None:
    imagehash = pytest.importorskip("imagehash")
    image = pytest.importorskip("PIL.Image")
    gradient = image.linear_gradient("L").resize((64, 64))
    stripes = image.new("L", (64, 64))
    stripes.putdata([255 * ((x // 8) % 2) for _ in range(64) for x in range(64)])
    a, b = imagehash.phash(gradient), imagehash.phash(stripes)
    assert hamming(str(a), str(b)) == a - b
    assert hamming(str(a), str(imagehash.phash(gradient.resize((48, 48))))) <= 6


# --- photo_predates_report ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("taken_at", "flagged"),
    [
        (SUBMITTED - timedelta(seconds=1), True),
        (SUBMITTED, False),
        (SUBMITTED + timedelta(seconds=1), False),
        (datetime(2025, 6, 2, 9, 59, 59), True),  # naive EXIF = WIB: one second before 10:00 WIB
        (datetime(2025, 6, 2, 10, 0, 0), False),
        (datetime(2025, 6, 2, 9, 0, 0, tzinfo=UTC), False),  # an offset tag wins over WIB
    ],
)
def test_a_photo_taken_before_the_report_is_flagged(taken_at: datetime, flagged: bool) -> None:
    flags = check(PhotoFacts(SHA, taken_at=taken_at))
    assert (F.PHOTO_PREDATES_REPORT in flags) is flagged


def test_naive_times_are_read_in_the_given_timezone() -> None:
    naive = datetime(2025, 6, 2, 9, 0)  # before 10:00 WIB, after 03:00 UTC
    assert check(PhotoFacts(SHA, taken_at=naive)) == (F.PHOTO_PREDATES_REPORT,)
    assert check(PhotoFacts(SHA, taken_at=naive), tz=UTC) == ()
    naive_report = (SUBMITTED + JKT_OFFSET).replace(tzinfo=None)  # 10:00, Jakarta local
    at_report = SUBMITTED - timedelta(seconds=1)
    assert check(PhotoFacts(SHA, taken_at=at_report), submitted_at=naive_report) == (
        F.PHOTO_PREDATES_REPORT,
    )


# --- photo_far_from_location --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metres", "flagged"), [(0, False), (299, False), (301, True), (5000, True)]
)
def test_a_photo_more_than_300_m_away_is_flagged(metres: float, flagged: bool) -> None:
    flags = check(PhotoFacts(SHA, gps=north_of(HERE, metres)))
    assert (F.PHOTO_FAR_FROM_LOCATION in flags) is flagged


def test_exactly_at_the_limit_is_not_far() -> None:
    gps = north_of(HERE, 300)
    distance = haversine_m(gps, HERE)
    assert distance == pytest.approx(300, abs=1e-6)
    assert check(PhotoFacts(SHA, gps=gps), max_distance_m=distance) == ()
    assert check(PhotoFacts(SHA, gps=gps), max_distance_m=math.nextafter(distance, 0)) == (
        F.PHOTO_FAR_FROM_LOCATION,
    )


def test_haversine_in_metres() -> None:
    assert haversine_m((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111_195, abs=1)
    east = haversine_m(HERE, (HERE[0], HERE[1] + 0.01))  # a degree of longitude shrinks by cos(lat)
    assert east == pytest.approx(1111.95 * math.cos(math.radians(6.25)), rel=1e-4)


# --- several photos -----------------------------------------------------------------------------


def test_flags_of_all_photos_are_merged_once_in_a_fixed_order() -> None:
    far_and_old = PhotoFacts(
        "01" * 32, taken_at=SUBMITTED - timedelta(days=2), gps=north_of(HERE, 900)
    )
    recycled = PhotoFacts("02" * 32, phash=OWN, taken_at=SUBMITTED - timedelta(days=1))
    clean = PhotoFacts("03" * 32, phash=flip(OWN, 30), taken_at=SUBMITTED + timedelta(hours=1))
    result = check_evidence(
        [far_and_old, recycled, clean], submitted_at=SUBMITTED, location=HERE, own_phashes=[OWN]
    )
    assert [p.sha256 for p in result.photos] == ["01" * 32, "02" * 32, "03" * 32]
    assert result.photos[0].flags == (F.PHOTO_PREDATES_REPORT, F.PHOTO_FAR_FROM_LOCATION)
    assert result.photos[2].flags == ()
    assert result.flags == (F.RECYCLED_PHOTO, F.PHOTO_PREDATES_REPORT, F.PHOTO_FAR_FROM_LOCATION)
