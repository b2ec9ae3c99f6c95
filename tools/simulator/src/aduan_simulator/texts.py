"""What citizens write: Indonesian complaint texts per category, with everyday slang.

Every phrase carries a keyword of its category in config/cities/jakarta/categories.yaml (so the
geo-router's classifier files a text-only report where a form-filed one would go; a unit test
checks it). Openers, landmarks and closers add variety and slang ("gak", "udah", "bgt") without
touching the keywords. No text contains a tracking code or a bare thanks, so intake's intent
classifier always sees a report.
"""

from __future__ import annotations

import random

from aduan_simulator.places import Place

#: category → phrases (each with a keyword of the category; slang as citizens write it).
PHRASES: dict[str, tuple[str, ...]] = {
    "Jalan": (
        "jalan bolong gede banget, udah ada motor jatuh",
        "jalan berlubang dalem, kalau hujan gak keliatan",
        "aspal rusak parah, jalan bergelombang bikin celaka",
    ),
    "Sampah": (
        "sampah numpuk udah berhari-hari, baunya kemana-mana",
        "tumpukan sampah di pinggir kali makin tinggi",
        "sampah belum diangkut, truk sampah gak dateng-dateng",
    ),
    "Parkir Liar": (
        "parkir liar di badan jalan bikin sempit",
        "jukir liar minta duit seenaknya",
        "mobil parkir sembarangan nutup akses warga",
    ),
    "Saluran Air/Banjir": (
        "got mampet, tiap hujan jadi genangan air",
        "selokan mampet, air meluap ke rumah warga",
        "banjir selutut, air meluap dari saluran air",
    ),
    "Penerangan Jalan Umum": (
        "lampu jalan mati, malem gelap gulita",
        "lampu pju kedip-kedip terus dari minggu lalu",
        "penerangan jalan umum padam, rawan begal",
    ),
    "Gangguan Ketenteraman dan Ketertiban": (
        "preman sering malak warga yang lewat",
        "ada pungli di pintu masuk, kami dipalak tiap hari",
        "banyak manusia silver dan pengemis di perempatan",
    ),
    "Pohon": (
        "pohon tumbang nutup jalan, mobil gak bisa lewat",
        "dahan patah menjuntai, bahaya buat pengendara",
        "pohon miring rawan tumbang kalau angin kencang",
    ),
    "Fasilitas Sosial/Umum": (
        "toilet umum rusak dan jorok",
        "halte rusak, atapnya bocor",
        "fasilitas umum di rptra rusak, ayunan patah",
    ),
    "Arus Lalu Lintas": (
        "lampu lalu lintas mati bikin macet parah",
        "macet parah tiap sore, gak ada yang ngatur lalu lintas",
        "rambu lalu lintas roboh ketabrak",
    ),
    "Pelanggaran Perda/Pergub": (
        "spanduk liar dipasang sembarangan di mana-mana",
        "tempat hiburan malam buka sampai subuh, melanggar perda",
        "baliho liar nutupin pandangan pengendara",
    ),
    "Gangguan dan Kebisingan": (
        "knalpot brong tiap malem berisik banget",
        "sound system hajatan, musik kencang sampai pagi",
        "suara bising dari bengkel sampai tengah malam",
    ),
    "Perdagangan": (
        "pkl jualan di trotoar, pejalan kaki susah lewat",
        "pedagang kaki lima makin banyak sampai ke badan jalan",
        "lapak liar berdiri lagi padahal udah ditertibkan",
    ),
    "Pekerja PPSU": (
        "petugas ppsu cuma nongkrong dari pagi",
        "ppsu tidur pas jam kerja",
        "ppsu main hp terus, got gak dibersihin",
    ),
    "Bantuan Sosial": (
        "bansos belum cair padahal terdaftar dtks",
        "kjp plus anak saya belum cair bulan ini",
        "bantuan sembako gak sampai ke warga yang berhak",
    ),
    "Galian/Sisa Proyek": (
        "galian kabel tidak ditutup lagi, bahaya",
        "galian belum ditutup, sisa material berserakan",
        "bekas galian pipa dibiarin menganga",
    ),
    "Bangunan dan Tata Ruang": (
        "ada bangunan tanpa izin lagi dibangun",
        "bangli berdiri di garis sempadan kali",
        "bangunan di atas saluran, air jadi gak ngalir",
    ),
    "Air Bersih/PAM": (
        "air pam mati dari pagi",
        "air keruh dan bau keluar dari keran",
        "pipa bocor, air bersih terbuang",
    ),
    "Kawasan Dilarang Merokok": (
        "banyak yang merokok di kawasan dilarang merokok",
        "puntung rokok berserakan, orang ngerokok sembarangan",
    ),
    "BPJS": (
        "bpjs kesehatan saya tiba-tiba nonaktif",
        "kartu bpjs tidak aktif padahal rutin bayar iuran bpjs",
    ),
    "Jaringan Listrik": (
        "kabel menjuntai rendah, bahaya buat warga",
        "listrik padam terus tiap malem",
    ),
    "Kesehatan": (
        "banyak jentik, minta fogging karena ada warga kena dbd",
        "pelayanan puskesmas lama banget",
    ),
    "Kependudukan/Adminduk": (
        "blanko ktp kosong terus",
        "ngurus akta kelahiran lama banget",
    ),
    "Pendidikan": (
        "ppdb zonasi bikin anak gak dapat sekolah negeri",
        "ada pungutan sekolah buat uang gedung",
    ),
    "Taman": (
        "taman kota gak terawat, rumput liar tinggi",
        "bangku taman patah semua",
    ),
    "Tenaga Kerja": (
        "gaji tidak dibayar sudah dua bulan",
        "kena phk tanpa pesangon",
    ),
    "Kebakaran": (
        "ada korsleting listrik, asap tebal dari rumah kosong",
        "tabung gas bocor di warung, takut kebakaran",
    ),
}

OPENERS = ("", "", "Min, ", "Pak, ", "Lapor, ", "Tolong min, ", "Mohon bantuannya, ", "Permisi, ")
LANDMARKS = (
    "depan masjid",
    "dekat pos RW",
    "samping musala",
    "di ujung gang",
    "depan minimarket",
    "dekat pertigaan",
    "dekat warung kopi",
)
CLOSERS = (
    "",
    "Mohon segera ditindaklanjuti.",
    "Tolong dicek ya.",
    "Udah seminggu gak ada yang urus.",
    "Warga udah resah bgt.",
    "Makasih sebelumnya.",
    "Mohon perhatiannya.",
)
#: Slang applied to openers and closers (never to a phrase: its keywords stay intact).
SLANG = {"Tolong": "Tlg", "sudah": "udah", "tidak": "gak", "yang": "yg", "Mohon": "Mhn"}


def _slangy(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return text
    return " ".join(SLANG.get(word, word) for word in text.split(" "))


def phrase(category: str, rng: random.Random) -> str:
    """A complaint phrase of `category` (a known category name)."""
    return rng.choice(PHRASES[category])


def place_text(place: Place, rng: random.Random) -> str:
    """The place as citizens name it: kelurahan and kecamatan, the way they abbreviate them."""
    kel, kec = place.kelurahan.name, place.kelurahan.kecamatan
    forms = (
        f"kel. {kel}, kec. {kec}",
        f"Kelurahan {kel} Kecamatan {kec}",
        f"kel {kel} kec {kec}",
    )
    return rng.choice(forms)


def maps_link(place: Place, rng: random.Random) -> str:
    """A shared maps link, as phones send it."""
    lat, lon = f"{place.lat:.6f}", f"{place.lon:.6f}"
    return rng.choice(
        (
            f"https://maps.google.com/?q={lat},{lon}",
            f"https://www.google.com/maps/search/?api=1&query={lat},{lon}",
        )
    )


def describe(category: str, rng: random.Random, where: str = "") -> str:
    """A full complaint: opener, the phrase, a landmark, where (if given), a closer."""
    body = phrase(category, rng)
    landmark = rng.choice(LANDMARKS)
    parts = [f"{_slangy(rng.choice(OPENERS), rng)}{body} {landmark}"]
    if where:
        parts[0] += f", {where}"
    closer = _slangy(rng.choice(CLOSERS), rng)
    text = parts[0] + "." + (f" {closer}" if closer else "")
    return text[0].upper() + text[1:]
