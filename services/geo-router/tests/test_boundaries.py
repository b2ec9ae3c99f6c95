"""Point-in-polygon on the generated sample city and on Jakarta's 267 real kelurahan."""

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from aduan_geo_router.adapters.boundaries import BoundaryError, BoundaryIndex
from aduan_shared.city import ensure_sample_city

JAKARTA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "jakarta"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> BoundaryIndex:
    return BoundaryIndex.load(ensure_sample_city(tmp_path_factory.mktemp("city")))


@pytest.fixture(scope="module")
def jakarta() -> BoundaryIndex:
    assert (JAKARTA / "kelurahan.geojson").is_file(), f"Jakarta boundaries missing at {JAKARTA}"
    return BoundaryIndex.load(JAKARTA)


def test_point_inside_a_sample_kelurahan(sample: BoundaryIndex) -> None:
    placement = sample.locate(-6.495, 106.805)
    assert placement.kelurahan is not None
    assert placement.kelurahan.kode == "99.71.01.1001"
    assert placement.method == "polygon"
    assert placement.kelurahan.unit_id == "kelurahan:99.71.01.1001"
    assert placement.kelurahan.kecamatan_kode == "99.71.01"


def test_shared_border_goes_to_the_smallest_code(sample: BoundaryIndex) -> None:
    placement = sample.locate(-6.495, 106.81)  # the border of 1001 and 1002
    assert placement.kelurahan is not None
    assert placement.kelurahan.kode == "99.71.01.1001"


def test_just_outside_snaps_to_nearest(sample: BoundaryIndex) -> None:
    placement = sample.locate(-6.5009, 106.805)  # ~100 m south of the city
    assert placement.method == "snapped"
    assert placement.kelurahan is not None and placement.kelurahan.kode == "99.71.01.1001"
    assert placement.distance_m is not None and 80 < placement.distance_m < 120


def test_far_outside_is_outside_area(sample: BoundaryIndex) -> None:
    placement = sample.locate(-6.52, 106.805)  # ~2 km south
    assert placement.kelurahan is None
    assert placement.reason == "outside_area"


def test_every_jakarta_kelurahan_point_routes_to_itself(jakarta: BoundaryIndex) -> None:
    with (JAKARTA / "kelurahan_codes.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 267
    wrong = []
    for row in rows:
        placement = jakarta.locate(float(row["lat"]), float(row["lon"]))
        if placement.kelurahan is None or placement.kelurahan.kode != row["kode"]:
            wrong.append(row["kode"])
    assert wrong == []


def test_missing_columns_are_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "kelurahan.geojson").write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":1},'
        '"geometry":{"type":"Point","coordinates":[106.8,-6.2]}}]}'
    )
    with pytest.raises(BoundaryError, match="missing columns"):
        BoundaryIndex.load(tmp_path)


def test_batch_placement_equals_single_placement(jakarta: BoundaryIndex) -> None:
    rng = np.random.default_rng(7)
    lats = rng.uniform(-6.3708, -6.089, 3000)
    lons = rng.uniform(106.6862, 106.9728, 3000)
    batch = jakarta.locate_many(lats, lons)
    codes = {"polygon": 0, "snapped": 1, "none": 2}
    for i in range(len(lats)):
        single = jakarta.locate(float(lats[i]), float(lons[i]))
        owner = -1 if single.kelurahan is None else jakarta.kelurahan.index(single.kelurahan)
        assert (int(batch.owner[i]), int(batch.method[i])) == (owner, codes[single.method])
        if single.method == "snapped":
            assert batch.distance_m[i] == pytest.approx(single.distance_m, abs=0.1)
    assert set(np.unique(batch.method)) == {0, 1, 2}  # the sample covers all three outcomes


def _write_city(directory: Path, boundaries: str) -> Path:
    (directory / "city.yaml").write_text(f"name: Uji\nboundaries:\n{boundaries}")
    return directory


@pytest.mark.parametrize(("suffix", "layer"), [(".shp", None), (".gpkg", "desa")])
def test_shapefile_and_geopackage_with_other_column_names(
    tmp_path: Path, suffix: str, layer: str | None
) -> None:
    frame = gpd.read_file(ensure_sample_city(tmp_path / "src") / "kelurahan.geojson")
    frame = frame.rename(columns={"kode": "KD_DESA", "kelurahan": "NAMOBJ"})
    frame = frame.drop(columns=["kecamatan", "kota"]).to_crs("EPSG:32748")  # not WGS84
    frame.to_file(tmp_path / f"desa{suffix}", layer=layer)
    layer_line = f", layer: {layer}" if layer else ""
    index = BoundaryIndex.load(
        _write_city(
            tmp_path,
            (f"  kelurahan: {{file: desa{suffix}, code: KD_DESA, name: NAMOBJ{layer_line}}}\n"),
        )
    )
    placement = index.locate(-6.495, 106.805)
    assert placement.kelurahan is not None
    assert placement.kelurahan.kode == "99.71.01.1001"
    assert placement.kelurahan.name == "Melati"
    assert placement.kelurahan.kecamatan == "99.71.01"  # no name column: derived from the code
    assert placement.kelurahan.kota == "99.71"


def test_overlapping_kelurahan_are_named_at_start_up(tmp_path: Path) -> None:
    frame = gpd.read_file(ensure_sample_city(tmp_path / "src") / "kelurahan.geojson")
    frame.loc[0, "geometry"] = frame.geometry[0].buffer(0.002)  # ~200 m into its neighbours
    frame.to_file(tmp_path / "k.geojson")
    with pytest.raises(BoundaryError, match=r"overlap more than 500 m²: 99\.71\.01\.1001 & "):
        BoundaryIndex.load(
            _write_city(
                tmp_path,
                (
                    "  kelurahan: {file: k.geojson, name: kelurahan,\n"
                    "              kecamatan: kecamatan, kota: kota}\n"
                    "  overlap_tolerance_m2: 500\n"
                ),
            )
        )


def test_duplicate_codes_and_missing_files_are_named(tmp_path: Path) -> None:
    frame = gpd.read_file(ensure_sample_city(tmp_path / "src") / "kelurahan.geojson")
    frame.loc[1, "kode"] = frame.kode[0]
    frame.to_file(tmp_path / "k.geojson")
    city = _write_city(tmp_path, "  kelurahan: {file: k.geojson, name: kelurahan}\n")
    with pytest.raises(BoundaryError, match=r"duplicate kode \['99\.71\.01\.1001'\]"):
        BoundaryIndex.load(city)
    (tmp_path / "k.geojson").unlink()
    with pytest.raises(BoundaryError, match="does not exist"):
        BoundaryIndex.load(city)


def test_jakarta_islands_route_too(jakarta: BoundaryIndex) -> None:
    pramuka = jakarta.locate(-5.7452, 106.6135)  # Pulau Pramuka, Kepulauan Seribu
    assert pramuka.kelurahan is not None
    assert pramuka.kelurahan.kota == "Kepulauan Seribu"


def test_kecamatan_and_kota_names_from_their_own_layers(tmp_path: Path) -> None:
    frame = gpd.read_file(ensure_sample_city(tmp_path / "src") / "kelurahan.geojson")
    frame.drop(columns=["kecamatan", "kota"]).to_file(tmp_path / "desa.geojson")
    for name, rows in (
        ("kec", [("99.71.01", "Sampel Utara"), ("99.71.02", "Sampel Selatan")]),
        ("kab", [("99.71", "Kota Sampel")]),
    ):
        gpd.GeoDataFrame(
            {"KODE": [c for c, _ in rows], "NAMA": [n for _, n in rows]},
            geometry=[shapely.Point(106.8, -6.5)] * len(rows),
            crs="EPSG:4326",
        ).to_file(tmp_path / f"{name}.geojson")
    index = BoundaryIndex.load(
        _write_city(
            tmp_path,
            (
                "  kelurahan: {file: desa.geojson, name: kelurahan}\n"
                "  kecamatan: {file: kec.geojson, code: KODE, name: NAMA}\n"
                "  kota: {file: kab.geojson, code: KODE, name: NAMA}\n"
            ),
        )
    )
    placement = index.locate(-6.485, 106.805)
    assert placement.kelurahan is not None
    assert (placement.kelurahan.name, placement.kelurahan.kecamatan, placement.kelurahan.kota) == (
        "Anggrek",
        "Sampel Selatan",
        "Kota Sampel",
    )
