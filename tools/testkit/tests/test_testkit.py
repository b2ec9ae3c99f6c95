"""The shared test helpers do what the suites rely on."""

import io
import itertools

import imagehash
import pytest
from aduan_shared.photos import process_photo
from aduan_testkit import eventually, jpeg
from aduan_testkit.polling import NotYet
from PIL import Image


def test_pictures_differ_per_seed_and_carry_their_exif() -> None:
    a, b = jpeg(1), jpeg(2)
    distance = imagehash.phash(Image.open(io.BytesIO(a))) - imagehash.phash(
        Image.open(io.BytesIO(b))
    )
    assert distance > 10
    assert jpeg(1) == a  # deterministic
    photo = process_photo(jpeg(3, gps=(-6.2612, 106.8225), taken="2026:11:20 09:30:00"))
    assert photo.gps is not None
    assert photo.gps == pytest.approx((-6.2612, 106.8225), abs=1e-4)
    assert photo.taken_at is not None and photo.taken_at.hour == 9


def test_eventually_returns_the_first_truthy_value_or_fails() -> None:
    counter = itertools.count()
    assert eventually(lambda: next(counter) >= 3 and "ready", timeout=5, every=0.01) == "ready"
    with pytest.raises(NotYet, match="last value: 0"):
        eventually(lambda: 0, timeout=0.05, every=0.01)


def test_jakarta_units_come_from_the_configuration() -> None:
    from aduan_testkit.city import jakarta_units

    units = jakarta_units("kelurahan:31.74.03.1002", "sudin:dishub:31.74")
    assert units["kelurahan:31.74.03.1002"].name == "Kelurahan Bangka"
    assert units["sudin:dishub:31.74"].parent_id == "dinas:dishub"
    with pytest.raises(KeyError, match="kelurahan:00"):
        jakarta_units("kelurahan:00")
