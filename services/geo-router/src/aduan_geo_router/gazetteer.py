"""Find a kelurahan, kecamatan or coordinate pair in free complaint text (pure, no I/O)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from aduan_geo_router.domain import Kelurahan

FUZZY_CUTOFF = 88.0
MAX_WORDS = 4
LAT_RANGE, LON_RANGE = (-11.0, 6.0), (95.0, 141.0)  # Indonesia, roughly

_KEL_MARKERS = frozenset({"kel", "kelurahan", "kelurhan", "klurahan", "desa"})
_KEC_MARKERS = frozenset({"kec", "kecamatan", "kecamatn", "kcmtn"})
# Words that never start or continue a name: they end a run of words (minus any name's words).
_BREAK_WORDS = frozenset(
    "jl jln jalan gg gang rt rw no nomor blok raya kav kavling komplek perumahan di ke dari "
    "yang dan atau dekat depan belakang samping sebelah sekitar daerah wilayah lokasi alamat "
    "tolong mohon pak bu saya kami ada sudah belum sejak hari rumah warga ini itu".split()
)
# Kelurahan names that are everyday words: matched only after "kel." or with their kecamatan.
_WEAK = frozenset(
    "baru tengah jati pulo setu karet dukuh gedong gunung kramat tangki gelora guntur kenari "
    "bungur kapuk galur rambutan kartini selong kamal".split()
    + ["kayu putih", "kayu manis"]
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
_DMS = re.compile(
    _DMS_PART + r"(N|S|LU|LS)\b[\s,;]*" + _DMS_PART + r"(E|W|BT|BB)\b", re.IGNORECASE
)


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
        self._fuzzy: dict[tuple[int, str], dict[str, str]] = {}  # (words, initial) → form → key
        name_words: set[str] = set()
        for key, (forms, kels, kecs, kotas) in sorted(acc.items()):
            weak = bool(forms & _WEAK) and not kecs
            kels.sort(key=lambda k: k.kode)
            self._names[key] = _Name(key, tuple(kels), tuple(sorted(kecs)), tuple(sorted(kotas)), weak)
            for form in sorted(forms):
                name_words.update(form.split())
                if not weak and len(key) > 4:
                    for w, text in {(len(form.split()), form), (1, key)}:
                        self._fuzzy.setdefault((w, key[0]), {})[text] = key
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
            word = (fold(m.group()) or [""])[0]
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
        choices = self._fuzzy.get((n_words, query[0]))
        if len(query.replace(" ", "")) <= 4 or not choices:
            return "", 0.0
        best = process.extractOne(query, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        return (choices[best[0]], round(best[1] / 100, 3)) if best else ("", 0.0)

    @staticmethod
    def _select(found: list[_Match]) -> list[_Match]:
        taken: set[int] = set()
        chosen: list[_Match] = []
        for m in sorted(found, key=lambda m: (m.start - m.end, -m.score, m.start, m.name.key)):
            if not taken.intersection(range(m.start, m.end)):
                taken.update(range(m.start, m.end))
                chosen.append(m)
        return sorted(chosen, key=lambda m: m.start)

    def _resolve(self, matches: list[_Match]) -> TextLocation:
        kel_hits: list[tuple[tuple[object, ...], _Match, Kelurahan, float]] = []
        kec_hits: list[tuple[tuple[object, ...], _Match, str]] = []
        ambiguous: list[_Match] = []
        for m in matches:
            kec_ctx = {c for o in matches if o is not m for c in o.kecs}
            kota_ctx = {c for o in matches if o is not m for c in (*o.kotas, *(k[:5] for k in o.kecs))}
            if m.name.weak and m.marker != "kel":
                if not any(k.kecamatan_kode in kec_ctx for k in m.kels):
                    continue
            rank: tuple[object, ...] = (m.end - m.start, m.score, -m.start)
            if m.kels and not m.kecs:
                pool = [k for k in m.kels if k.kecamatan_kode in kec_ctx] or list(m.kels)
                if len(pool) > 1:
                    pool = [k for k in pool if k.kota_kode in kota_ctx]
            elif m.kels:
                pool = [k for k in m.kels if k.kecamatan_kode in kec_ctx]
                if not pool and len(m.kecs) == 1:
                    if all(k.kecamatan_kode == m.kecs[0] for k in m.kels):
                        kec_hits.append(((m.marker == "kec", *rank), m, m.kecs[0]))
                        continue
            else:
                kecs = [c for c in m.kecs if len(m.kecs) == 1 or c[:5] in kota_ctx]
                if len(kecs) == 1:
                    kec_hits.append(((m.marker == "kec", *rank), m, kecs[0]))
                elif kecs or len(m.kecs) > 1:
                    ambiguous.append(m)
                continue
            if len(pool) == 1:
                kel = pool[0]
                agrees = kel.kecamatan_kode in kec_ctx
                score = m.score if agrees or not kec_ctx else round(m.score * 0.8, 3)
                key = (m.marker == "kel", agrees, not m.kecs, *rank)
                kel_hits.append((key, m, kel, score))
            else:
                ambiguous.append(m)
        if kel_hits:
            _, m, kel, score = max(kel_hits, key=lambda h: h[0])
            return TextLocation(kel, kel.kecamatan_kode, None, None, None, score, m.span)
        if kec_hits:
            _, m, kec = max(kec_hits, key=lambda h: h[0])
            return TextLocation(None, kec, None, None, None, m.score, m.span)
        if ambiguous:
            m = ambiguous[0]
            return TextLocation(None, None, None, None, "ambiguous_location", m.score, m.span)
        return TextLocation(None, None, None, None, "no_location", 0.0, None)
