"""Routing decisions: a placement and a category's target → the unit (pure)."""

import pytest
from aduan_geo_router.domain import CategoryChoice, Kelurahan, Placement, decide_route

BANGKA = Kelurahan("31.74.03.1002", "Bangka", "Mampang Prapatan", "Jakarta Selatan")
UNITS = {
    "kelurahan:31.74.03.1002": "Kelurahan Bangka",
    "kecamatan:31.74.03": "Kecamatan Mampang Prapatan",
    "kota:31.74": "Kota Jakarta Selatan",
    "sudin:dishub:31.74": "Suku Dinas Perhubungan Jakarta Selatan",
    "dinas:gulkarmat": "Dinas Penanggulangan Kebakaran dan Penyelamatan",
}
IN_BANGKA = Placement(BANGKA, "polygon", 0.0)


def choice(target: str, name: str = "Jalan") -> CategoryChoice:
    return CategoryChoice(name, "given", None, target)


@pytest.mark.parametrize(
    ("target", "unit"),
    [
        ("kelurahan", "kelurahan:31.74.03.1002"),
        ("kecamatan", "kecamatan:31.74.03"),
        ("kota", "kota:31.74"),
        ("sudin:dishub", "sudin:dishub:31.74"),
        ("dinas:gulkarmat", "dinas:gulkarmat"),
    ],
)
def test_each_target_kind_resolves_at_the_place(target: str, unit: str) -> None:
    d = decide_route(IN_BANGKA, choice(target), UNITS)
    assert (d.unit_id, d.unit_name, d.needs_coordination) == (unit, UNITS[unit], False)


def test_no_location_goes_to_the_admin_pool() -> None:
    d = decide_route(Placement(None, "none", None, "no_location"), choice("kelurahan"), UNITS)
    assert (d.unit_id, d.needs_coordination, d.reason) == (None, True, "no_location")


def test_outside_area_keeps_its_reason_but_a_dinas_needs_no_place() -> None:
    outside = Placement(None, "none", None, "outside_area")
    assert decide_route(outside, choice("kelurahan"), UNITS).reason == "outside_area"
    fire = decide_route(outside, choice("dinas:gulkarmat", "Kebakaran"), UNITS)
    assert (fire.unit_id, fire.needs_coordination) == ("dinas:gulkarmat", False)


def test_a_kecamatan_named_in_text_goes_to_the_camat() -> None:
    only_kecamatan = Placement(None, "gazetteer", None, None, kecamatan_kode="31.74.03")
    d = decide_route(only_kecamatan, choice("kelurahan"), UNITS)
    assert d.unit_id == "kecamatan:31.74.03" and not d.needs_coordination
    assert decide_route(only_kecamatan, choice("sudin:dishub"), UNITS).unit_id == (
        "sudin:dishub:31.74"
    )


def test_a_target_without_a_configured_unit_is_no_route() -> None:
    d = decide_route(IN_BANGKA, choice("sudin:unknown-opd"), UNITS)
    assert (d.unit_id, d.needs_coordination, d.reason) == (None, True, "no_route")
