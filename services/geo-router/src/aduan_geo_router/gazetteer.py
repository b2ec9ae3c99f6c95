"""Find a kelurahan, kecamatan or coordinate pair in free complaint text (pure, no I/O)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from aduan_shared.city import kota_kode
from rapidfuzz import fuzz, process

from aduan_geo_router.domain import Kelurahan

FUZZY_CUTOFF = 88.0
MAX_WORDS = 4
LAT_RANGE, LON_RANGE = (-11.0, 6.0), (95.0, 141.0)  # Indonesia, roughly

_KEL_MARKERS = frozenset({"kel", "kelurahan", "kelurhan", "klurahan", "desa"})
_KEC_MARKERS = frozenset({"kec", "kecamatan", "kecamatn", "kcmtn"})
# Words that never start or continue a name: they end a run of words (minus any name's words).
_BREAK_WORDS = frozenset(
    (  # noqa: SIM905
        "jl jln jalan gg gang rt rw no nomor blok raya kav kavling komplek perumahan di ke dari "
        "yang dan atau dekat depan belakang samping sebelah sekitar daerah wilayah lokasi alamat "
        "tolong mohon pak bu saya kami ada sudah belum sejak hari rumah warga ini itu"
    ).split()
)
# Kelurahan names that are everyday words: matched only after "kel." or with their kecamatan.
_WEAK = frozenset(
    {
        *(  # noqa: SIM905
            "baru tengah jati pulo setu karet dukuh gedong gunung kramat tangki gelora guntur "
            "kenari bungur kapuk galur rambutan kartini selong kamal"
        ).split(),
        "kayu putih",
        "kayu manis",
    }
)
_KEL_ALIASES = {"tengah": ("kampung tengah",)}
_KOTA_ALIASES = {
    "jakarta pusat": ("jakpus",),
    "jakarta utara": ("jakut",),
    "jakarta barat": ("jakbar",),
    "jakarta selatan": ("jaksel",),
    "jakarta timur": ("jaktim",),
    "kepulauan seribu": ("kep seribu", "pulau seribu"),
}

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
_GAP_BREAK = re.compile(r"[,;:()\[\]!?|\n\d]")
_N = r"(-?\d{1,3}(?:\.\d+)?)"
_COORD_PATTERNS = (
    re.compile(r"\bgeo:\s*" + _N + r"\s*,\s*" + _N),
    re.compile(
        r"[?&](?:q|query|ll|sll|center|destination|daddr)=(?:loc:)?" + _N + r"\s*(?:,|%2C)\s*"
        r"(?:\+|%20)?" + _N,
        re.IGNORECASE,
    ),
    re.compile(r"!3d" + _N + r"!4d" + _N),
    re.compile(r"@" + _N + r"," + _N),
    re.compile(
        r"\blat(?:itude)?\b\s*[:=]?\s*" + _N + r"\s*[,;/]?\s*"
        r"\b(?:lon|lng|long|longitude|bujur)\b\s*[:=]?\s*" + _N,
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w.])(-?\d{1,2}\.\d{2,})\s*[,\s]\s*(\d{2,3}\.\d{2,})(?![\d])"),
)
_DMS_PART = r"(\d{1,3})\s*°\s*(\d{1,2})\s*['′’]\s*(\d{1,2}(?:\.\d+)?)\s*(?:\"|″|”|'')?\s*"
_DMS = re.compile(_DMS_PART + r"(N|S|LU|LS)\b[\s,;]*" + _DMS_PART + r"(E|W|BT|BB)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TextLocation:
    """What `Gazetteer.find` found in a text: a kelurahan, a kecamatan, a point, or a reason."""

    kelurahan: Kelurahan | None
    kecamatan_kode: str | None
    lat: float | None
    lon: float | None
    reason: str | None
    score: float
    matched: str | None


@dataclass(frozen=True)
class _Name:
    key: str  # compact form (no spaces)
    kels: tuple[Kelurahan, ...]
    kecs: tuple[str, ...]
    kotas: tuple[str, ...]
    weak: bool


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    name: _Name
    score: float
    marker: str | None
    span: str
    kels: tuple[Kelurahan, ...]
    kecs: tuple[str, ...]
    kotas: tuple[str, ...]


def fold(text: str) -> list[str]:
    """Return the words of `text`, lowercased, without accents, punctuation or digits."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return _WORD.findall(plain.lower())


def _valid(lat: float, lon: float) -> bool:
    return (
        math.isfinite(lat)
        and math.isfinite(lon)
        and LAT_RANGE[0] <= lat <= LAT_RANGE[1]
        and LON_RANGE[0] <= lon <= LON_RANGE[1]
    )


def find_coordinates(text: str) -> tuple[float, float, str] | None:
    """Return (lat, lon, matched span) of the first plausible coordinate pair in `text`, or None."""
    for pattern in _COORD_PATTERNS:
        for m in pattern.finditer(text):
            lat, lon = float(m.group(1)), float(m.group(2))
            if _valid(lat, lon):
                return lat, lon, m.group(0)
    for m in _DMS.finditer(text):
        g = m.groups()
        if max(float(g[1]), float(g[5])) >= 60 or max(float(g[2]), float(g[6])) >= 60:
            continue
        lat = int(g[0]) + int(g[1]) / 60 + float(g[2]) / 3600
        lon = int(g[4]) + int(g[5]) / 60 + float(g[6]) / 3600
        lat = -lat if g[3].upper() in ("S", "LS") else lat
        lon = -lon if g[7].upper() in ("W", "BB") else lon
        if _valid(lat, lon):
            return round(lat, 6), round(lon, 6), m.group(0)
    return None


class Gazetteer:
    """Kelurahan, kecamatan and kota names of one city, indexed for `find`."""

    def __init__(self, kelurahan: Sequence[Kelurahan]) -> None:
        acc: dict[str, tuple[set[str], list[Kelurahan], set[str], set[str]]] = {}

        def add(name: str, kel: Kelurahan | None, kec: str | None, kota: str | None) -> None:
            words = fold(name)
            forms, kels, kecs, kotas = acc.setdefault("".join(words), (set(), [], set(), set()))
            forms.add(" ".join(words))
            if kel is not None and kel not in kels:
                kels.append(kel)
            kecs.update([kec] if kec else [])
            kotas.update([kota] if kota else [])

        for k in kelurahan:
            for alias in (k.name, *_KEL_ALIASES.get(" ".join(fold(k.name)), ())):
                add(alias, k, None, None)
            add(k.kecamatan, None, k.kecamatan_kode, None)
            for alias in (k.kota, *_KOTA_ALIASES.get(" ".join(fold(k.kota)), ())):
                add(alias, None, None, k.kota_kode)
        self._names: dict[str, _Name] = {}
        fuzzy: dict[tuple[int, str], dict[str, str]] = {}  # (words, initial) → form → key
        name_words: set[str] = set()
        for key, (forms, kels, kecs, kotas) in sorted(acc.items()):
            weak = bool(forms & _WEAK) and not kecs
            kels.sort(key=lambda k: k.kode)
            self._names[key] = _Name(
                key, tuple(kels), tuple(sorted(kecs)), tuple(sorted(kotas)), weak
            )
            for form in sorted(forms):
                name_words.update(form.split())
                if not weak and len(key) > 4:
                    for w, text in {(len(form.split()), form), (1, key)}:
                        fuzzy.setdefault((w, key[0]), {})[text] = key
        self._fuzzy = {g: (list(m), list(m.values())) for g, m in fuzzy.items()}
        self._breaks = _BREAK_WORDS - name_words

    def find(self, text: str) -> TextLocation:
        """Return the location found in `text`: a coordinate pair first, else a resolved name."""
        coords = find_coordinates(text)
        if coords is not None:
            return TextLocation(None, None, coords[0], coords[1], None, 1.0, coords[2])
        matches = self._select(self._candidates(_URL.sub(" | ", text)))
        return self._resolve(matches)

    def _candidates(self, text: str) -> list[_Match]:
        words: list[str] = []
        spans: list[tuple[int, int]] = []
        segs: list[int] = []
        hints: list[str | None] = []
        seg, pending, prev_end = 0, None, 0
        for m in _WORD.finditer(text):
            word = "".join(fold(m.group()))
            if _GAP_BREAK.search(text, prev_end, m.start()):
                seg += 1
            prev_end = m.end()
            if word in _KEL_MARKERS or word in _KEC_MARKERS or word in self._breaks:
                seg += 1
                pending = "kel" if word in _KEL_MARKERS else "kec" if word in _KEC_MARKERS else None
                continue
            words.append(word)
            spans.append((m.start(), m.end()))
            segs.append(seg)
            hints.append(pending)
            pending = None
        found: list[_Match] = []
        for i in range(len(words)):
            for j in range(i + 1, min(i + MAX_WORDS, len(words)) + 1):
                if segs[j - 1] != segs[i]:
                    break
                key, score = "".join(words[i:j]), 1.0
                if key not in self._names:
                    key, score = self._fuzzy_key(j - i, " ".join(words[i:j]))
                if key:
                    name = self._names[key]
                    kels, kecs, kotas = name.kels, name.kecs, name.kotas
                    if hints[i] == "kel" and kels:
                        kecs, kotas = (), ()
                    elif hints[i] == "kec" and kecs:
                        kels, kotas = (), ()
                    span = text[spans[i][0] : spans[j - 1][1]]
                    found.append(_Match(i, j, name, score, hints[i], span, kels, kecs, kotas))
        return found

    def _fuzzy_key(self, n_words: int, query: str) -> tuple[str, float]:
        if len(query) - n_words < 4:  # short names (≤ 4 letters) match only exactly
            return "", 0.0
        forms, keys = self._fuzzy.get((n_words, query[0]), ([], []))
        best = process.extractOne(query, forms, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return (keys[best[2]], round(best[1] / 100, 3)) if best else ("", 0.0)

    @staticmethod
    def _select(found: list[_Match]) -> list[_Match]:
        taken: set[int] = set()
        chosen: list[_Match] = []
        for m in sorted(found, key=lambda m: (m.start - m.end, -m.score, m.start, m.name.key)):
            if not taken.intersection(range(m.start, m.end)):
                taken.update(range(m.start, m.end))
                chosen.append(m)
        return sorted(chosen, key=lambda m: m.start)

    @staticmethod
    def _resolve(matches: list[_Match]) -> TextLocation:
        readings = [r for m in matches if (r := _read(m, [o for o in matches if o is not m]))]
        if not readings:
            return TextLocation(None, None, None, None, "no_location", 0.0, None)
        return max(readings, key=lambda r: r[0])[1]


def _read(m: _Match, others: list[_Match]) -> tuple[tuple[float, ...], TextLocation] | None:
    """Return (rank, location) for one name match given the other matches, or None (no place).

    A kelurahan (rank 2) beats a kecamatan (1) beats an ambiguous name (0); within a tier an
    explicit prefix, agreement with a mentioned kecamatan, length, score and position decide.
    """
    kec_ctx = {c for o in others for c in o.kecs}
    kota_ctx = {c for o in others for c in (*o.kotas, *map(kota_kode, o.kecs))}
    if m.name.weak and m.marker != "kel" and not any(k.kecamatan_kode in kec_ctx for k in m.kels):
        return None
    rank = (m.end - m.start, m.score, -m.start)
    pool = [k for k in m.kels if k.kecamatan_kode in kec_ctx]
    if m.kels and not m.kecs and len(pool) != 1:  # a kelurahan name, maybe shared
        pool = [k for k in (pool or m.kels) if len(m.kels) == 1 or k.kota_kode in kota_ctx]
    elif not m.kels:  # a kecamatan (or kota) name
        kecs = [c for c in m.kecs if len(m.kecs) == 1 or kota_kode(c) in kota_ctx]
        if len(kecs) == 1:
            loc = TextLocation(None, kecs[0], None, None, None, m.score, m.span)
            return (1, m.marker == "kec", 0, 0, *rank), loc
        if len(m.kecs) <= 1:  # a kota alone places nothing
            return None
    elif not pool and len(m.kecs) == 1 and all(k.kecamatan_kode == m.kecs[0] for k in m.kels):
        # a kelurahan named like its own kecamatan, no other kecamatan mentioned: the kecamatan
        loc = TextLocation(None, m.kecs[0], None, None, None, m.score, m.span)
        return (1, m.marker == "kec", 0, 0, *rank), loc
    if len(pool) != 1:
        loc = TextLocation(None, None, None, None, "ambiguous_location", m.score, m.span)
        return (0, 0, 0, 0, 0, 0, -m.start), loc
    kel = pool[0]
    agrees = kel.kecamatan_kode in kec_ctx
    score = m.score if agrees or not kec_ctx else round(m.score * 0.8, 3)
    loc = TextLocation(kel, kel.kecamatan_kode, None, None, None, score, m.span)
    return (2, m.marker == "kel", agrees, not m.kecs, *rank), loc
