"""City configuration: Jakarta's files load, units derive from areas, heads are effective-dated."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from aduan_shared.city import CityConfigError
from aduan_shared.cityconfig import Area, load_city, read_areas, resolve_target

REPO = Path(__file__).resolve().parents[2]
JAKARTA_CONFIG = REPO / "config" / "cities" / "jakarta"
AREAS = [
    Area("31.74.03.1002", "Bangka", "Mampang Prapatan", "Jakarta Selatan"),
    Area("31.74.01.1001", "Tebet Timur", "Tebet", "Jakarta Selatan"),
    Area("31.01.01.1001", "Pulau Panggang", "Kepulauan Seribu Utara", "Kepulauan Seribu"),
]


def write_city(tmp_path: Path, units: str = "") -> Path:
    (tmp_path / "city.yaml").write_text(
        "name: Kota Uji\nboundaries:\n  kelurahan: {file: k.geojson, name: kelurahan}\n"
        + ("units: units.yaml\n" if units else "")
    )
    if units:
        (tmp_path / "units.yaml").write_text(units)
    return tmp_path


def test_jakarta_configuration_loads_with_its_boundaries() -> None:
    city = load_city(JAKARTA_CONFIG)
    assert city.city.metric_crs == "EPSG:32748"
    assert city.city.routing.duplicate.distance_m == 50
    assert city.kelurahan_path.is_file(), city.kelurahan_path
    areas = read_areas(city)
    assert len(areas) == 267
    units = city.units(areas)
    kinds = [u.kind for u in units.values()]
    assert (kinds.count("kelurahan"), kinds.count("kecamatan"), kinds.count("kota")) == (267, 44, 6)
    assert units["kota:31.01"].name == "Kabupaten Administrasi Kepulauan Seribu"
    assert units["sudin:dishub:31.74"].parent_id == "dinas:dishub"
    assert units["sudin:dishub:31.74"].name == "Suku Dinas Perhubungan Jakarta Selatan"
    assert "crm-admin" in units and "verifier" in units


def test_heads_change_at_midnight_jakarta_time() -> None:
    city = load_city(JAKARTA_CONFIG)
    unit = "kelurahan:31.74.03.1002"
    before = city.head_of(unit, datetime(2026, 11, 15, 16, 59, tzinfo=UTC))  # 23:59 WIB
    after = city.head_of(unit, datetime(2026, 11, 15, 17, 0, tzinfo=UTC))  # 00:00 WIB
    assert before.official_id == "nip:198005052005011002"
    assert after.official_id == "nip:198506062010012003"
    unlisted = city.head_of("kelurahan:31.71.01.1001", datetime(2026, 11, 16, tzinfo=UTC))
    assert unlisted.official_id == "head:kelurahan:31.71.01.1001"


def test_units_from_areas_and_opd(tmp_path: Path) -> None:
    city = load_city(
        write_city(
            tmp_path,
            "opd:\n  - {code: lh, name: Dinas Lingkungan Hidup}\n"
            "  - {code: bpjs, name: Unit BPJS, sudin: false}\n",
        )
    )
    units = city.units(AREAS)
    assert units["kecamatan:31.74.01"].name == "Kecamatan Tebet"
    assert {u for u in units if u.startswith("sudin:lh:")} == {"sudin:lh:31.74", "sudin:lh:31.01"}
    assert not any(u.startswith("sudin:bpjs") for u in units)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("kelurahan", "kelurahan:31.74.03.1002"),
        ("kecamatan", "kecamatan:31.74.03"),
        ("kota", "kota:31.74"),
        ("sudin:dishub", "sudin:dishub:31.74"),
        ("dinas:gulkarmat", "dinas:gulkarmat"),
    ],
)
def test_routing_targets_resolve_to_units(target: str, expected: str) -> None:
    assert resolve_target(target, "31.74.03.1002") == expected


def test_targets_without_a_place() -> None:
    assert resolve_target("kelurahan", None) is None
    assert resolve_target("sudin:dishub", None) is None
    assert resolve_target("dinas:gulkarmat", None) == "dinas:gulkarmat"
    for bad in ("province", "sudin", "dinas", "kelurahan:x"):
        with pytest.raises(ValueError, match="malformed"):
            resolve_target(bad, "31.74.03.1002")


def test_configuration_errors_name_the_file_and_problem(tmp_path: Path) -> None:
    with pytest.raises(CityConfigError, match=r"city\.yaml does not exist"):
        load_city(tmp_path)
    (tmp_path / "city.yaml").write_text("name: X\nboundaries: {kelurahan: {file: k.shp}}\n")
    with pytest.raises(CityConfigError, match=r"(?s)city\.yaml.*kelurahan\.name"):
        load_city(tmp_path)
    write_city(
        tmp_path,
        "heads:\n  kota:31.74:\n"
        "    - {official_id: b, name: B, from: 2025-01-01}\n"
        "    - {official_id: a, name: A, from: 2024-01-01}\n",
    )
    with pytest.raises(CityConfigError, match="not in date order"):
        load_city(tmp_path)


def test_category_names_in_file_order() -> None:
    names = load_city(JAKARTA_CONFIG).category_names()
    assert [c.name for c in names[:2]] == ["Jalan", "Pohon"]
    assert names[1].code == "pohon" and names[1].route == "sudin:distamhut"
    assert len({c.code for c in names}) == len(names) >= 20


def test_category_names_refuse_a_broken_file(tmp_path: Path) -> None:
    city = tmp_path / "city"
    city.mkdir()
    (city / "kelurahan.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    (city / "city.yaml").write_text(
        "name: X\ncategories: categories.yaml\n"
        "boundaries: {kelurahan: {file: kelurahan.geojson, name: kelurahan}}\n"
    )
    (city / "categories.yaml").write_text("categories: [{code: only-a-code}]\n")
    with pytest.raises(CityConfigError, match=r"categories\.yaml"):
        load_city(city).category_names()
