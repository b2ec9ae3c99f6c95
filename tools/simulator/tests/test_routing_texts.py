"""The texts as the geo-router reads them: each phrase files under its category, each place
named in words or shared as a maps link lands in the kelurahan it was sampled in."""

from __future__ import annotations

import random

import pytest
from aduan_geo_router.app import build_router
from aduan_geo_router.router import Router
from aduan_shared.cityconfig import load_city
from aduan_simulator.places import DEFAULT_CITY_DIR, Places
from aduan_simulator.texts import LANDMARKS, PHRASES, describe, maps_link, place_text


@pytest.fixture(scope="module")
def router() -> Router:
    return build_router(load_city(DEFAULT_CITY_DIR))


@pytest.fixture(scope="module")
def places() -> Places:
    return Places.from_city()


def test_every_phrase_is_classified_as_its_category(router: Router) -> None:
    for category, phrases in PHRASES.items():
        for phrase in phrases:
            for landmark in LANDMARKS:
                text = f"Min, {phrase} {landmark}. Udah seminggu gak ada yang urus."
                assert router.choose_category(None, text).name == category, text


def test_full_descriptions_keep_their_category(router: Router) -> None:
    rng = random.Random(9)
    for category in PHRASES:
        for _ in range(20):
            text = describe(category, rng)
            assert router.choose_category(None, text).name == category, text


def test_places_in_words_and_maps_links_find_the_sampled_kelurahan(
    router: Router, places: Places
) -> None:
    rng = random.Random(5)
    for kode in places.kelurahan:
        place = places.point_in(kode, rng)
        found = router.place_point(place.lat, place.lon).kelurahan
        assert found is not None and found.kode == kode
        for where in (place_text(place, rng), f"lokasi: {maps_link(place, rng)}"):
            text = describe("Sampah", rng, where)
            placement, _ = router.place_text(text)
            assert placement.kelurahan is not None, text
            assert placement.kelurahan.kode == kode, (text, placement.kelurahan.name)
