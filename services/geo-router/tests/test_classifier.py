"""Keyword classifier and Jakarta's category catalog (config/cities/jakarta/categories.yaml)."""

import time
from pathlib import Path

import pytest
import yaml
from aduan_geo_router.classifier import (
    ROUTE_RE,
    Category,
    CategoryCatalog,
    load_catalog,
    normalize,
)

CITY = Path(__file__).resolve().parents[3] / "config" / "cities" / "jakarta"
CATEGORIES = CITY / "categories.yaml"

REQUIRED = [
    "Jalan",
    "Pohon",
    "Parkir Liar",
    "Gangguan Ketenteraman dan Ketertiban",
    "Fasilitas Sosial/Umum",
    "Sampah",
    "Arus Lalu Lintas",
    "Saluran Air/Banjir",
    "Kawasan Dilarang Merokok",
    "Pekerja PPSU",
    "Gangguan dan Kebisingan",
    "Bantuan Sosial",
    "Pelanggaran Perda/Pergub",
    "Galian/Sisa Proyek",
    "BPJS",
    "Jaringan Listrik",
    "Kesehatan",
    "Tenaga Kerja",
    "Perdagangan",
    "Kebakaran",
    "Lainnya",
]
TRANTIB = "Gangguan Ketenteraman dan Ketertiban"
FASUM = "Fasilitas Sosial/Umum"
LALIN = "Arus Lalu Lintas"
BANJIR = "Saluran Air/Banjir"
KDM = "Kawasan Dilarang Merokok"
BISING = "Gangguan dan Kebisingan"
PERDA = "Pelanggaran Perda/Pergub"
GALIAN = "Galian/Sisa Proyek"
LISTRIK = "Jaringan Listrik"
PJU = "Penerangan Jalan Umum"
ADMINDUK = "Kependudukan/Adminduk"
BANGUNAN = "Bangunan dan Tata Ruang"

# As citizens write on JAKI, X and WhatsApp: slang, typos, emoji, caps.
CASES = [
    ("Jalan bolonggg gede bgt di Jl. Kemang Raya depan indomaret, udh 2 minggu 😡😡", "Jalan"),
    ("min @DKIJakarta jalanan di daerah cipinang rusak, aspal ngelupas, motor jatoh", "Jalan"),
    ("Tolong pak, ada lubang besar di tengah jalan, bahaya buat pengendara malam hari", "Jalan"),
    ("JALAN AMBLAS DI GANG H. DOGOL!!! bahaya bgt", "Jalan"),
    ("jalan berlubng parah di pertigaan", "Jalan"),
    ("Pohon tumbang nutupin jalan di Jl Pemuda, mobil ga bisa lewat", "Pohon"),
    ("mohon perantingan pohon di depan rumah saya, dahannya udah nyentuh kabel", "Pohon"),
    ("ada dahan patah nyangkut di atas, takut jatuh ke orang lewat 🙏", "Pohon"),
    ("pohon tumbng dekat halte", "Pohon"),
    ("Parkir liar di bahu jalan depan pasar bikin sempit, tiap hari begini", "Parkir Liar"),
    ("Ojol ngetem sembarangan di depan stasiun tebet, jalan jadi sempit", "Parkir Liar"),
    ("jukir liar minta 5rb padahal parkir di minimarket gratis", "Parkir Liar"),
    ("Ada preman yg malak pedagang tiap malem di kolong flyover", TRANTIB),
    ("Ada ODGJ ngamuk di depan masjid, warga takut", TRANTIB),
    ("tawuran lagi di manggarai, tolong ditindak!!", TRANTIB),
    ("Gelandangan dan pengemis tidur di halte tiap malam", TRANTIB),
    ("Manusia gerobak tidur di trotoar depan ruko", TRANTIB),
    ("Toilet umum di RPTRA kotor dan rusak, pintu copot", FASUM),
    ("JPO depan mall rusak parah, atapnya bocor, tangganya keropos", FASUM),
    ("Sampah numpuk di pinggir kali udah seminggu ga diangkut, bau bgt", "Sampah"),
    ("sampahhh berserakan di TPS rw 05, banyak lalat 🤮", "Sampah"),
    ("warga buang sampah sembarangan di lahan kosong samping sekolahan", "Sampah"),
    ("Gerobak sampah dibiarkan di pinggir jalan berhari-hari", "Sampah"),
    ("Macet parah tiap pagi di perempatan, lampu merah mati", LALIN),
    ("banyak motor lawan arah di jalur busway, tolong dishub tindak", LALIN),
    ("palang pintu perlintasan kereta api ga turun, hampir ketabrak", LALIN),
    ("Got mampet, air meluap ke jalan tiap hujan", BANJIR),
    ("BANJIRRR SEPINGGANG di perumahan kami!!! tolong kirim bantuan pompa", BANJIR),
    ("genangan air setinggi 30cm di underpass, selokan tersumbat", BANJIR),
    ("gorong2 depan rumah mampettt, airnya item dan bau", BANJIR),
    ("tolong pak banjir lagi, mohon bantuan evakuasi lansia", BANJIR),
    ("Banyak yg ngerokok di dalem angkot padahal ada tulisan dilarang merokok", KDM),
    ("Pegawai kantor kelurahan merokok di ruang pelayanan, asap rokoknya kemana2", KDM),
    ("Petugas PPSU cuma nongkrong main hp, ga kerja", "Pekerja PPSU"),
    ("pasukan orange di kelurahan kami jarang keliatan kerja", "Pekerja PPSU"),
    ("Tetangga karaoke sampe jam 2 pagi, berisik banget 😤", BISING),
    ("motor knalpot brong lewat tiap malam, bising bgt ganggu tidur bayi", BISING),
    ("Saya tidak dapat bansos padahal sudah terdaftar DTKS", "Bantuan Sosial"),
    ("KJP anak saya belum cair bulan ini, kenapa ya?", "Bantuan Sosial"),
    ("ruko dipake buat tempat hiburan malam tanpa izin, buka sampai pagi", PERDA),
    ("Spanduk liar dan reklame liar dipasang di tiang-tiang sepanjang jalan", PERDA),
    ("Bekas galian kabel ga ditutup rapi, jadi bergelombang dan licin", GALIAN),
    ("sisa material proyek dibiarin di trotoar udah sebulan", GALIAN),
    ("BPJS saya tiba2 nonaktif padahal PBI, mau berobat ditolak", "BPJS"),
    ("Kabel semrawut menjuntai rendah, bisa kena kepala orang lewat", LISTRIK),
    ("listrik padam dari semalam di rw 03, pln belum datang", LISTRIK),
    ("tiang listrik miring mau roboh depan sd", LISTRIK),
    ("Pelayanan puskesmas lambat, antre dari pagi dokternya belum datang", "Kesehatan"),
    ("banyak warga kena DBD, mohon fogging di RT 04", "Kesehatan"),
    ("Gaji saya belum dibayar 3 bulan sama perusahaan, mau lapor kemana", "Tenaga Kerja"),
    ("kena PHK sepihak tanpa pesangon", "Tenaga Kerja"),
    ("PKL jualan di trotoar, pejalan kaki terpaksa turun ke jalan", "Perdagangan"),
    ("pasar tumpah tiap pagi bikin jalanan penuh lapak", "Perdagangan"),
    ("KEBAKARAN di pemukiman padat, api besar! butuh damkar segera 🔥🔥", "Kebakaran"),
    ("ada ular masuk rumah warga, mohon bantuan", "Kebakaran"),
    ("kebakarn di gudang", "Kebakaran"),
    ("Lampu PJU di jalan kampung mati semua, gelap gulita rawan begal", PJU),
    ("Air PAM mati udah 3 hari, warga kesulitan air bersih", "Air Bersih/PAM"),
    ("Bikin KTP udah 3 bulan blanko ga ada terus di kelurahan", ADMINDUK),
    ("Anak saya ga keterima PPDB zonasi padahal rumah deket sekolah", "Pendidikan"),
    ("Taman kota rumput liarnya tinggi, ga pernah dirawat", "Taman"),
    ("Tetangga bangun rumah 4 lantai tanpa IMB/PBG, nutup saluran", BANGUNAN),
]

NO_CLUE = [
    "",
    "halo min, mau tanya aja",
    "Terima kasih atas pelayanannya 🙏🙏",
    "Pak Lurah kapan datang?",
    "😡😡😡!!!",
    "jl. kemang raya no 5 rt 03 rw 02",
    "rapi sapi tapi diaspal",
]


@pytest.fixture(scope="module")
def catalog() -> CategoryCatalog:
    return load_catalog(CATEGORIES)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_classifies_realistic_complaints(
    catalog: CategoryCatalog, text: str, expected: str
) -> None:
    result = catalog.classify(text)
    assert result.category == expected, result
    assert 0.0 < result.confidence <= 1.0
    assert result.matched


def test_there_are_enough_cases_for_every_required_category() -> None:
    assert len(CASES) >= 40
    covered = {expected for _, expected in CASES}
    assert set(REQUIRED) - {"Lainnya"} <= covered


@pytest.mark.parametrize("text", NO_CLUE)
def test_text_without_a_clue_is_lainnya_with_zero_confidence(
    catalog: CategoryCatalog, text: str
) -> None:
    assert catalog.classify(text) == catalog.classify(text)
    result = catalog.classify(text)
    assert (result.category, result.confidence, result.matched) == ("Lainnya", 0.0, ())


def test_confidence_reflects_hits_and_margin(catalog: CategoryCatalog) -> None:
    one_word = catalog.classify("tawuran lagi")
    phrase = catalog.classify("got mampet")
    many = catalog.classify("got mampet, banjir, genangan air dimana-mana")
    contested = catalog.classify("banjir, mohon bantuan pln")
    assert one_word.confidence == 0.5
    assert phrase.confidence == 0.75
    assert phrase.matched == ("got mampet",)  # "mampet" alone is hidden inside the phrase
    assert many.confidence > 0.9
    assert many.matched == ("got mampet", "banjir", "genangan air")
    assert contested.category == BANJIR  # tie with Jaringan Listrik → listed first
    assert contested.confidence == 0.25


def test_normalisation() -> None:
    assert normalize("JALAN Bolonggg!!! 😡 #banjir") == ("jalan", "bolong", "banjir")
    assert normalize("Jl. Kemang, gorong-gorong") == ("jalan", "kemang", "gorong")
    assert normalize("gorong2 sampahnyaaa ga") == ("gorong", "sampahnya", "tidak")
    assert normalize("Ｊａｌａｎ  café") == ("jalan", "cafe")


def test_whole_words_only(catalog: CategoryCatalog) -> None:
    assert catalog.classify("kereta api telat").category == LALIN  # "api" is hidden
    assert catalog.classify("jalannya diaspal ulang").category == "Lainnya"
    assert catalog.classify("aspalnya ngelupas").matched == ("aspal ngelupas",)


def test_ties_follow_file_order() -> None:
    cats = [
        Category("A", "a", "kelurahan", ("sama",)),
        Category("B", "b", "kecamatan", ("sama",)),
        Category("Lainnya", "lainnya", "kelurahan", ()),
    ]
    assert CategoryCatalog("Lainnya", cats).classify("sama").category == "A"
    assert CategoryCatalog("Lainnya", cats[::-1]).classify("sama").category == "B"


def test_classify_is_fast(catalog: CategoryCatalog) -> None:
    texts = [(text + " ") * 10 for text, _ in CASES]
    texts = [t[:300] for t in texts]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for text in texts:
            catalog.classify(text)
        best = min(best, (time.perf_counter() - start) / len(texts))
    assert best < 0.001, f"{best * 1e6:.0f} µs per classify"


def test_catalog_has_the_required_categories(catalog: CategoryCatalog) -> None:
    names = [c.name for c in catalog.categories]
    assert len(names) >= 21
    assert set(REQUIRED) <= set(names)
    assert catalog.default == "Lainnya"
    assert catalog.by_name("lainnya") is catalog.by_name("Lainnya")


def test_by_name_accepts_name_or_code(catalog: CategoryCatalog) -> None:
    jalan = catalog.by_name("Jalan")
    assert jalan is not None and jalan.code == "jalan"
    assert catalog.by_name("SALURAN AIR/BANJIR") is catalog.by_name("saluran-air-banjir")
    assert catalog.by_name("parkir-liar") is catalog.by_name("Parkir Liar")
    assert catalog.by_name("Tidak Ada") is None


def test_every_route_is_valid_and_names_a_known_opd(catalog: CategoryCatalog) -> None:
    units = yaml.safe_load((CITY / "units.yaml").read_text(encoding="utf-8"))
    opd = {o["code"]: o for o in units["opd"]}
    for cat in catalog.categories:
        assert ROUTE_RE.match(cat.route), cat
        kind, _, code = cat.route.partition(":")
        if code:
            assert code in opd, cat
            assert kind == "dinas" or opd[code]["sudin"], cat


def test_routing_choices(catalog: CategoryCatalog) -> None:
    def route(name: str) -> str | None:
        cat = catalog.by_name(name)
        return cat.route if cat else None

    assert route("Kebakaran") == "dinas:gulkarmat"
    assert route("Parkir Liar") == "sudin:dishub"
    assert route("Pohon") == "sudin:distamhut"
    for lurah_first in ("Jalan", "Sampah", BANJIR, "Pekerja PPSU", "Lainnya"):
        assert route(lurah_first) == "kelurahan"
    kelurahan = sum(c.route == "kelurahan" for c in catalog.categories)
    assert kelurahan >= 10


def test_keywords_are_lowercase_distinct_and_sized(catalog: CategoryCatalog) -> None:
    owner: dict[tuple[str, ...], str] = {}
    for cat in catalog.categories:
        if cat.name == catalog.default:
            continue
        assert 10 <= len(cat.keywords) <= 30, cat.name
        for kw in cat.keywords:
            assert kw == kw.lower().strip(), kw
            tokens = normalize(kw)
            assert owner.setdefault(tokens, cat.name) == cat.name, f"{kw!r} in two categories"


VALID = """
default_category: Lainnya
categories:
  - {name: Jalan, code: jalan, route: kelurahan, keywords: [jalan rusak]}
  - {name: Pohon, code: pohon, route: "sudin:distamhut", keywords: [pohon tumbang]}
  - {name: Lainnya, code: lainnya, route: kelurahan, keywords: []}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "categories.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_a_minimal_valid_file(tmp_path: Path) -> None:
    cat = load_catalog(write(tmp_path, VALID))
    assert [c.code for c in cat.categories] == ["jalan", "pohon", "lainnya"]
    assert cat.classify("ada pohon tumbang").category == "Pohon"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("name: Pohon", "name: Jalan", "duplicate category name/code 'jalan'"),
        ("name: Pohon", "name: JALAN", "duplicate category name/code 'jalan'"),
        ("code: pohon", "code: jalan", "duplicate category name/code 'jalan'"),
        ("default_category: Lainnya", "default_category: Umum", "default category 'Umum'"),
        ('"sudin:distamhut"', "lurah", "invalid route 'lurah'"),
        ('"sudin:distamhut"', '"sudin:"', "invalid route 'sudin:'"),
        ('"sudin:distamhut"', '"dinas:Bina Marga"', "invalid route 'dinas:Bina Marga'"),
        ('"sudin:distamhut"', '"kelurahan:31.74"', "invalid route 'kelurahan:31.74'"),
        ("keywords: [pohon tumbang]", "keywords: []", "'Pohon' has no keywords"),
        ("keywords: [pohon tumbang]", "keywords: pohon", "keywords must be a list of strings"),
        ("keywords: [pohon tumbang]", 'keywords: ["🌳"]', "keyword '🌳' has no words"),
        ("keywords: [jalan rusak]", "keywords: [jalan rusak, Jalan Rusak!]", "duplicate keyword"),
        ("code: pohon", "code: Pohon Kota", "code 'Pohon Kota' is not a lowercase slug"),
        ("code: pohon,", "code: pohon, keyword: x,", "unknown keys ['keyword']"),
        ("code: pohon, ", "", "missing ['code']"),
        ("default_category: Lainnya", "", "default_category is missing"),
        ("categories:\n", "categories: {}\nx:\n", "categories is missing or not a list"),
    ],
)
def test_load_catalog_rejects(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ValueError) as info:
        load_catalog(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "top level must be a mapping"),
        ("default_category: [unclosed\n", "not valid YAML"),
        ("default_category: Lainnya\ncategories: []\n", "no categories defined"),
        ("default_category: Lainnya\ncategories: [42]\n", "categories[0] is not a mapping"),
    ],
)
def test_load_catalog_rejects_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        load_catalog(write(tmp_path, text))
    assert message in str(info.value)
