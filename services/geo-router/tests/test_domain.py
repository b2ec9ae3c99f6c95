"""Routing decisions from placements (pure)."""

from aduan_geo_router.domain import Kelurahan, Placement, decide_route

BANGKA = Kelurahan("31.74.04.1005", "Bangka", "Mampang Prapatan", "Jakarta Selatan")


def test_located_report_goes_to_its_lurah() -> None:
    d = decide_route(Placement(BANGKA, "polygon", 0.0), "Jalan")
    assert d.unit_id == "kelurahan:31.74.04.1005"
    assert d.unit_name == "Kelurahan Bangka"
    assert not d.needs_coordination
    assert (d.category, d.category_source) == ("Jalan", "given")


def test_no_location_goes_to_the_admin_pool() -> None:
    d = decide_route(Placement(None, "none", None, "no_location"), None)
    assert d.unit_id is None
    assert d.needs_coordination
    assert d.reason == "no_location"
    assert (d.category, d.category_source) == ("Lainnya", "classified")


def test_outside_area_keeps_its_reason() -> None:
    d = decide_route(Placement(None, "none", None, "outside_area"), "Pohon")
    assert d.needs_coordination and d.reason == "outside_area"
