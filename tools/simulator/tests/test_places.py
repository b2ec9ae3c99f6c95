"""Places: points inside the real kelurahan polygons, kelurahan weighted by kota population."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from aduan_shared.cityconfig import load_city
from aduan_simulator.mix import KOTA_POPULATION, normalised
from aduan_simulator.places import DEFAULT_CITY_DIR, Places
from shapely.geometry import Point


@pytest.fixture(scope="module")
def places() -> Places:
    return Places.from_city()


def test_every_kelurahan_of_the_city_is_known(places: Places) -> None:
    from aduan_shared.cityconfig import read_areas

    areas = read_areas(load_city(DEFAULT_CITY_DIR))
    assert {a.kode for a in areas} == set(places.kelurahan) and len(areas) == 267


def test_sampled_points_fall_inside_their_kelurahan_polygon(places: Places) -> None:
    rng = random.Random(1)
    for _ in range(2000):
        p = places.sample(rng)
        assert p.kelurahan.geometry.contains(Point(p.lon, p.lat)), p
        assert (round(p.lat, 6), round(p.lon, 6)) == (p.lat, p.lon)
    for kode in places.kelurahan:  # every polygon, islands of Kepulauan Seribu included
        p = places.point_in(kode, rng)
        assert p.kelurahan.kode == kode and p.kelurahan.geometry.contains(Point(p.lon, p.lat))
        assert p.unit_id == f"kelurahan:{kode}"


def test_kota_get_reports_in_proportion_to_their_population(places: Places) -> None:
    rng = random.Random(2)
    n = 20_000
    kotas = Counter(places.sample(rng).kelurahan.kota for _ in range(n))
    for kota, share in normalised(KOTA_POPULATION).items():
        assert abs(kotas[kota] / n - share) < 0.02, (kota, kotas[kota] / n, share)
    assert kotas.most_common(1)[0][0] == "Jakarta Timur"


def test_within_a_kota_a_larger_kelurahan_gets_more_reports(places: Places) -> None:
    weights = Places.weights(list(places.kelurahan.values()), KOTA_POPULATION)
    pusat = [k for k in places.kelurahan.values() if k.kota == "Jakarta Pusat"]
    small, large = min(pusat, key=lambda k: k.area), max(pusat, key=lambda k: k.area)
    assert weights[large.kode] / weights[small.kode] == pytest.approx(large.area / small.area)
