"""Locations in free complaint text, against Jakarta's 267 real kelurahan."""

import csv
import time
from pathlib import Path

import pytest
from aduan_geo_router.domain import Kelurahan
from aduan_geo_router.gazetteer import Gazetteer, TextLocation, find_coordinates

JAKARTA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "jakarta"
BANGKA = "31.74.03.1002"
PEJATEN_TIMUR = "31.74.04.1005"
FAKE_BANGKA = Kelurahan("31.75.01.1099", "Bangka", "Matraman", "Jakarta Timur")


@pytest.fixture(scope="module")
def kelurahan() -> list[Kelurahan]:
    path = JAKARTA / "kelurahan_codes.csv"
    assert path.is_file(), f"Jakarta kelurahan codes missing at {path}"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [Kelurahan(r["kode"], r["kelurahan"], r["kecamatan"], r["kota"]) for r in rows]


@pytest.fixture(scope="module")
def gaz(kelurahan: list[Kelurahan]) -> Gazetteer:
    return Gazetteer(kelurahan)


@pytest.fixture(scope="module")
def gaz_dup(kelurahan: list[Kelurahan]) -> Gazetteer:
    """Jakarta plus a second "Bangka" in kecamatan Matraman: a kelurahan name in two kecamatan."""
    return Gazetteer([*kelurahan, FAKE_BANGKA])


def test_the_data_is_jakarta(kelurahan: list[Kelurahan]) -> None:
    assert len(kelurahan) == 267
    assert len({k.kecamatan_kode for k in kelurahan}) == 44


@pytest.mark.parametrize(
    ("text", "kode"),
    [
        ("Kel. Bangka, Mampang Prapatan", BANGKA),
        ("kelurahan bangka mampang", BANGKA),
        ("Lubang di Jalan Kemang Raya, Bangka, Mampang Prapatan", BANGKA),
        ("di jln raya pasar minggu kel pejaten timur", PEJATEN_TIMUR),
        ("kelurahan pejatn timur", PEJATEN_TIMUR),
        ("got mampet RT 05/RW 03 Kel. Pejaten Timur Kec. Pasar Minggu", PEJATEN_TIMUR),
        ("Lampu jalan mati di KELURAHAN PONDOK LABU KEC. CILANDAK", "31.74.06.1003"),
        ("Kelurahan Kebon Jeruk", "31.73.05.1001"),
        ("kel. kebonjeruk", "31.73.05.1001"),
        ("kel. kramat jati", "31.75.04.1001"),
        ("banjir di kel setia budi", "31.74.02.1001"),
        ("got mampet di Cempaka Putih Timur", "31.71.05.1001"),
        ("saya tinggal di kelapa dua, jalannya rusak", "31.73.05.1004"),
        ("pohon tumbang di harapan mulya", "31.71.03.1003"),
        ("kampung tengah, kramat jati", "31.75.04.1002"),
        ("Kel. Baru, Pasar Rebo", "31.75.05.1002"),
        ("kel. tengah", "31.75.04.1002"),
        ("tangki septik bocor di rt 05 rw 03 kel. cipete utara", "31.74.07.1010"),
        ("dermaga rusak di KEL. PULAU UNTUNG JAWA", "31.01.02.1001"),
        ("jalan rusak di Kali Baru, Cilincing", "31.72.04.1004"),
        ("sampah di Jatinegara Kaum", "31.75.02.1004"),
        ("sampah menumpuk di kel. jatinegara", "31.75.06.1001"),
        ("jatinegara, cakung", "31.75.06.1001"),
        ("Kelurahan Kébon Jéruk", "31.73.05.1001"),
    ],
)
def test_kelurahan_in_text(gaz: Gazetteer, text: str, kode: str) -> None:
    loc = gaz.find(text)
    assert loc.kelurahan is not None, loc
    assert loc.kelurahan.kode == kode
    assert loc.kecamatan_kode == kode.rsplit(".", 1)[0]
    assert (loc.lat, loc.lon, loc.reason) == (None, None, None)
    assert 0.88 <= loc.score <= 1.0


@pytest.mark.parametrize(
    ("text", "kecamatan"),
    [
        ("kec. tebet", "31.74.01"),
        ("Kecamatan Tebet, Jakarta Selatan", "31.74.01"),
        ("Jl. Tebet Raya No. 5", "31.74.01"),
        ("tengah jalan ada lubang besar di tebet", "31.74.01"),
        ("kecamatan Jatinegara", "31.75.03"),
        ("kec jatinegara jaktim", "31.75.03"),
        # a kelurahan named like its own kecamatan, without "kel.": only the kecamatan is sure
        ("Kebon Jeruk", "31.73.05"),
        ("Kebonjeruk", "31.73.05"),
        ("kebun jeruk, jakarta barat", "31.73.05"),
        ("banjir di Tanjung Priuk", "31.72.02"),
        ("Setia Budi", "31.74.02"),
        ("pal merah", "31.73.07"),
        ("kalideres", "31.73.06"),
        ("kali deres", "31.73.06"),
        ("kebayoran lama", "31.74.05"),
        ("kec. pulogadung", "31.75.02"),
    ],
)
def test_kecamatan_alone(gaz: Gazetteer, text: str, kecamatan: str) -> None:
    loc = gaz.find(text)
    assert (loc.kelurahan, loc.kecamatan_kode, loc.reason) == (None, kecamatan, None), loc


def test_fuzzy_match_reports_its_span_and_score(gaz: Gazetteer) -> None:
    loc = gaz.find("Kelurahan Pejatn Timur, sudah 3 hari")
    assert loc.matched == "Pejatn Timur"
    assert 0.88 <= loc.score < 1.0


def test_kelurahan_name_in_a_different_kecamatan_is_jakartas_real_ambiguity(
    gaz: Gazetteer,
) -> None:
    # kelurahan Jatinegara lies in kecamatan Cakung, not in kecamatan Jatinegara
    loc = gaz.find("jalan rusak di jatinegara")
    assert (loc.kelurahan, loc.kecamatan_kode, loc.reason) == (None, None, "ambiguous_location")
    assert loc.matched == "jatinegara"


@pytest.mark.parametrize(
    ("text", "kode"),
    [
        ("kel. bangka, mampang prapatan", BANGKA),
        ("Kelurahan Bangka Kec Mampang Prapatan", BANGKA),
        ("kelurahan bangka kec matraman", FAKE_BANGKA.kode),
        ("kel bangka jakarta timur", FAKE_BANGKA.kode),
        ("kel bangka jaksel", BANGKA),
    ],
)
def test_shared_kelurahan_name_resolved_by_kecamatan_or_kota(
    gaz_dup: Gazetteer, text: str, kode: str
) -> None:
    loc = gaz_dup.find(text)
    assert loc.kelurahan is not None and loc.kelurahan.kode == kode


@pytest.mark.parametrize("text", ["kel. bangka", "bangka", "Kel. Bangka, dekat pasar"])
def test_shared_kelurahan_name_alone_is_ambiguous(gaz_dup: Gazetteer, text: str) -> None:
    loc = gaz_dup.find(text)
    assert (loc.kelurahan, loc.kecamatan_kode, loc.reason) == (None, None, "ambiguous_location")


def test_kelurahan_beats_a_contradicting_kecamatan_with_lower_score(gaz: Gazetteer) -> None:
    loc = gaz.find("kel. bangka, kec. tebet")
    assert loc.kelurahan is not None and loc.kelurahan.kode == BANGKA
    assert loc.score == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("text", "lat", "lon"),
    [
        ("-6.2424, 106.8253", -6.2424, 106.8253),
        ("lokasi: -6.2424 106.8253 depan warung", -6.2424, 106.8253),
        ("lat -6.24 lon 106.82", -6.24, 106.82),
        ("Lat: -6.2424, Long: 106.8253", -6.2424, 106.8253),
        ("6°14'32.6\"S 106°49'31.1\"E", -6.242389, 106.825306),
        ("6°14'32.6\" LS 106°49'31.1\" BT", -6.242389, 106.825306),
        ("https://maps.google.com/?q=-6.2424,106.8253", -6.2424, 106.8253),
        ("https://www.google.com/maps/place/Foo/@-6.2424,106.8253,17z", -6.2424, 106.8253),
        (
            "https://www.google.com/maps/place/X/@-6.1,106.7,17z/data=!3m1!4b1!8m2!3d-6.2425!4d106.8254",
            -6.2425,
            106.8254,
        ),
        ("geo:-6.24,106.82", -6.24, 106.82),
        ("geo:-6.24,106.82?z=19", -6.24, 106.82),
        ("kel. bangka, mampang prapatan -6.1754, 106.8272", -6.1754, 106.8272),
    ],
)
def test_coordinates_win(gaz: Gazetteer, text: str, lat: float, lon: float) -> None:
    loc = gaz.find(text)
    assert loc.lat == pytest.approx(lat, abs=1e-6)
    assert loc.lon == pytest.approx(lon, abs=1e-6)
    assert (loc.kelurahan, loc.kecamatan_kode, loc.reason, loc.score) == (None, None, None, 1.0)


@pytest.mark.parametrize(
    "text",
    [
        "48.8584, 2.2945",  # Paris
        "6.2424, 106.8253",  # north of Indonesia (sign lost)
        "-6.2424, 200.1",
        "https://maps.app.goo.gl/AbCdEf12345",  # short link: not resolvable offline
        "harga Rp 1.500.000, 106.000 per meter",
        "RT 05, RW 106",
    ],
)
def test_implausible_or_unresolvable_coordinates_are_ignored(gaz: Gazetteer, text: str) -> None:
    assert find_coordinates(text) is None
    assert gaz.find(text).reason == "no_location"


def test_ignored_coordinates_fall_back_to_names(gaz: Gazetteer) -> None:
    loc = gaz.find("48.8584, 2.2945 di kec tebet https://maps.app.goo.gl/AbCd")
    assert (loc.lat, loc.kecamatan_kode) == (None, "31.74.01")


@pytest.mark.parametrize(
    "text",
    [
        "tolong dibantu pak, sudah 3 hari",
        "saya tanah air",
        "",
        "Baru pindah ke sini, air PAM tidak mengalir sudah tiga hari",
        "Pohon rambutan di depan rumah rawan tumbang",
        "Tangki septik bocor, bau tidak sedap",
        "Ban karet bekas dibakar di lahan kosong",
        "Pohon jati besar di pinggir jalan rawan tumbang",
        "Gunung sampah di TPS liar belakang pasar, tolong diangkut",
        "Kucing mati di tengah jalan belum diangkut dari kemarin",
        "Pak lurah tolong tegur warga yang buang sampah sembarangan",
        "Pelayanan di kantor kelurahan lambat, kantor kecamatan tutup",
        "Selokan mampet, nyamuk demam berdarah banyak, minta fogging",
        "Jalan rusak parah dan berlubang, mohon segera diperbaiki!",
    ],
)
def test_text_without_location(gaz: Gazetteer, text: str) -> None:
    assert gaz.find(text) == TextLocation(None, None, None, None, "no_location", 0.0, None)


def test_every_kelurahan_resolves_with_its_kecamatan(
    gaz: Gazetteer, kelurahan: list[Kelurahan]
) -> None:
    wrong = []
    for k in kelurahan:
        for text in (
            f"kel. {k.name}, {k.kecamatan}",
            f"KELURAHAN {k.name.upper()} KECAMATAN {k.kecamatan.upper()}",
            f"{k.name.lower()}, kec. {k.kecamatan.lower()}",
        ):
            loc = gaz.find(text)
            if loc.kelurahan != k or loc.kecamatan_kode != k.kecamatan_kode:
                wrong.append((text, loc))
    assert wrong == []


def test_find_is_deterministic_and_pure(kelurahan: list[Kelurahan]) -> None:
    text = "di jln raya pasar minggu kel pejaten timur"
    assert Gazetteer(kelurahan).find(text) == Gazetteer(list(reversed(kelurahan))).find(text)
    assert Gazetteer([]).find(text).reason == "no_location"


def test_find_is_fast(gaz: Gazetteer) -> None:
    text = (
        "Selamat siang pak, saya mau melaporkan jalan rusak dan berlubang di jln raya pasar "
        "minggu dekat halte, kel pejaten timur, rt 05 rw 03. Sudah 3 minggu tidak diperbaiki "
        "dan banyak pengendara motor yang jatuh terutama kalau malam hari karena lampu jalan "
        "juga mati. Mohon segera ditindaklanjuti, terima kasih."
    )
    assert len(text) >= 300
    start = time.perf_counter()
    for _ in range(100):
        loc = gaz.find(text)
    assert (time.perf_counter() - start) / 100 < 0.005
    assert loc.kelurahan is not None and loc.kelurahan.kode == PEJATEN_TIMUR
