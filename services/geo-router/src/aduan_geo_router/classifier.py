"""Keyword category classifier for free-text reports, with the city's category catalog."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz.distance import OSA

ROUTE_RE = re.compile(r"^(kelurahan|kecamatan|kota|(sudin|dinas):[a-z0-9]+(-[a-z0-9]+)*)$")
CODE_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_NON_WORD = re.compile(r"[\W_]+")
_ENCLITIC = re.compile(r"^(.{3,}?)nya+$")  # "jalannya", "sampahnyaa" → "jalan", "sampah"
_REDUP_DIGIT = re.compile(r"(?<=[a-z])2$")  # "gorong2", "motor2" → "gorong", "motor"
_SQUEEZE = re.compile(r"(.)\1+")
_KEYS = frozenset({"name", "code", "route", "keywords"})
FUZZY_MIN_LEN = 7  # keyword tokens at least this long (squeezed) may match with one typo
FUZZY_FACTOR = 0.75  # weight of a keyword hit that needed a typo correction

# Common chat spellings → the word used in keywords (both sides squeezed on load).
_SLANG_RAW = """
jl=jalan jln=jalan jlan=jalan jalanan=jalan jaln=jalan smpah=sampah sampa=sampah
bnjir=banjir banjr=banjir mcet=macet lstrik=listrik listrk=listrik phn=pohon pohn=pohon
prkir=parkir parkr=parkir orange=oranye brisik=berisik brsik=berisik ngrokok=ngerokok
ngeroko=ngerokok mampt=mampet mampat=mampet gk=tidak ga=tidak gak=tidak ngga=tidak
nggak=tidak enggak=tidak tdk=tidak tak=tidak udh=sudah udah=sudah sdh=sudah blm=belum
blom=belum yg=yang dgn=dengan krn=karena tlg=tolong bgt=banget bnyk=banyak dri=dari
org=orang sy=saya rmh=rumah dpn=depan dkt=dekat bs=bisa utk=untuk sm=sama
kebakar=kebakaran konslet=korsleting korslet=korsleting ambulance=ambulans
hydrant=hidran ektp=ktp wc=toilet
"""


def _squeeze(token: str) -> str:
    """Collapse repeated letters ("bolonggg" → "bolong"); short tokens like "kk" stay."""
    return token if len(token) <= 3 else _SQUEEZE.sub(r"\1", token)


_SLANG = {_squeeze(k): _squeeze(v) for k, v in (pair.split("=") for pair in _SLANG_RAW.split())}


def _token_forms(raw: str) -> tuple[str, ...]:
    """The canonical form of one lowercase token, plus its stem without the enclitic "-nya"."""
    raw = _REDUP_DIGIT.sub("", raw)
    base = _squeeze(raw)
    forms = [_SLANG.get(base, base)]
    stem = _ENCLITIC.match(raw)
    if stem:
        s = _squeeze(stem.group(1))
        s = _SLANG.get(s, s)
        if s not in forms:
            forms.append(s)
    return tuple(forms)


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [w for w in _NON_WORD.split(text) if w]


def _positions(text: str) -> list[tuple[str, ...]]:
    """Per word position, its alternative forms; immediate reduplications are collapsed."""
    out: list[tuple[str, ...]] = []
    for word in _words(text):
        forms = _token_forms(word)
        if forms[0] and (not out or out[-1][0] != forms[0]):
            out.append(forms)
    return out


def normalize(text: str) -> tuple[str, ...]:
    """Lowercase, strip punctuation/emoji/accents, squeeze elongations, map slang → tokens."""
    return tuple(p[0] for p in _positions(text))


@dataclass(frozen=True)
class Category:
    name: str
    code: str
    route: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float
    matched: tuple[str, ...]


class CategoryCatalog:
    """A city's categories: lookup by name/code and keyword classification of free text."""

    def __init__(self, default: str, categories: Iterable[Category]) -> None:
        self.default = default
        self.categories = tuple(categories)
        _validate(default, self.categories)
        self._lookup: dict[str, Category] = {}
        for cat in self.categories:
            self._lookup[cat.name.casefold()] = cat
            self._lookup[cat.code.casefold()] = cat
        # first token → (category index, keyword tokens, keyword text)
        self._index: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
        vocab: set[str] = set()
        for i, cat in enumerate(self.categories):
            for kw in cat.keywords:
                tokens = normalize(kw)
                self._index.setdefault(tokens[0], []).append((i, tokens, kw))
                vocab.update(tokens)
        self._vocab = frozenset(vocab)
        self._fuzzy_pool: dict[str, tuple[str, ...]] = {}
        for tok in sorted(vocab):
            if len(tok) >= FUZZY_MIN_LEN:
                self._fuzzy_pool[tok[0]] = (*self._fuzzy_pool.get(tok[0], ()), tok)
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)

    def by_name(self, name: str) -> Category | None:
        """The category with this name or code, case-insensitively; None if unknown."""
        return self._lookup.get(name.strip().casefold())

    def _correct_uncached(self, token: str) -> str | None:
        """A keyword token one typo (OSA distance 1) away from `token`, first in sort order."""
        if token in self._vocab or len(token) < FUZZY_MIN_LEN - 1 or token.isdigit():
            return None
        for cand in self._fuzzy_pool.get(token[0], ()):
            if abs(len(cand) - len(token)) <= 1 and OSA.distance(token, cand, score_cutoff=1) <= 1:
                return cand
        return None

    def classify(self, text: str) -> Classification:
        """Best category for `text` by whole-word keyword hits.

        Each distinct keyword hit scores its number of words (a two-word phrase scores 2), times
        0.75 if a word needed a one-typo correction. A hit inside a longer hit of another category
        is dropped ("kereta api" hides "api"); within a category, longest hits are taken first and
        shorter ones overlapping them are dropped ("got mampet" hides "mampet"). With the best
        category's score s1 and the runner-up's s2:

            confidence = (1 - 0.5 ** s1) * (0.5 + 0.5 * (s1 - s2) / s1)

        so one single-word hit alone gives 0.5, a two-word phrase alone 0.75, and a tie halves
        the value. Ties go to the category listed first. No hit → the default, confidence 0.0.
        """
        positions = self._with_corrections(_positions(text))
        hits: list[tuple[int, int, int, float, str]] = []
        for start in range(len(positions)):
            for form, factor in positions[start]:
                for cat_i, tokens, kw in self._index.get(form, ()):
                    if start + len(tokens) > len(positions):
                        continue
                    f = factor
                    for j in range(1, len(tokens)):
                        g = dict(positions[start + j]).get(tokens[j])
                        if g is None:
                            break
                        f = min(f, g)
                    else:
                        hits.append((cat_i, start, start + len(tokens), len(tokens) * f, kw))
        scores: dict[int, dict[str, tuple[float, int]]] = {}  # category → kw → (weight, start)
        kept: list[tuple[int, int, int]] = []
        for cat_i, start, end, weight, kw in sorted(hits, key=lambda h: (h[1] - h[2], h[1])):
            if any(_inside(start, end, s, e) for c, s, e, _, _ in hits if c != cat_i) or any(
                start < e and s < end for c, s, e in kept if c == cat_i
            ):
                continue
            kept.append((cat_i, start, end))
            per_cat = scores.setdefault(cat_i, {})
            w, first = per_cat.get(kw, (0.0, start))
            per_cat[kw] = (max(w, weight), min(first, start))
        if not scores:
            return Classification(self.default, 0.0, ())
        ranked = sorted(
            ((round(sum(w for w, _ in kws.values()), 6), -cat_i) for cat_i, kws in scores.items()),
            reverse=True,
        )
        s1, neg_i = ranked[0]
        s2 = ranked[1][0] if len(ranked) > 1 else 0.0
        confidence = (1 - 0.5**s1) * (0.5 + 0.5 * (s1 - s2) / s1)
        best = scores[-neg_i]
        matched = tuple(sorted(best, key=lambda kw: best[kw][1]))
        return Classification(self.categories[-neg_i].name, round(confidence, 3), matched)

    def _with_corrections(
        self, positions: list[tuple[str, ...]]
    ) -> list[tuple[tuple[str, float], ...]]:
        out: list[tuple[tuple[str, float], ...]] = []
        for forms in positions:
            alts = [(f, 1.0) for f in forms]
            if not any(f in self._vocab for f in forms):
                fixed = self._correct(forms[0])
                if fixed is not None:
                    alts.append((fixed, FUZZY_FACTOR))
            out.append(tuple(alts))
        return out


def _inside(start: int, end: int, outer_start: int, outer_end: int) -> bool:
    """Whether span [start, end) lies inside the strictly longer span [outer_start, outer_end)."""
    return outer_start <= start and end <= outer_end and outer_end - outer_start > end - start


def _validate(default: str, categories: tuple[Category, ...]) -> None:
    if not categories:
        raise ValueError("no categories defined")
    if default not in {c.name for c in categories}:
        raise ValueError(f"default category {default!r} is not among the categories")
    seen: dict[str, tuple[int, str]] = {}
    for i, cat in enumerate(categories):
        if not cat.name.strip():
            raise ValueError("a category has an empty name")
        if not CODE_RE.match(cat.code):
            raise ValueError(f"category {cat.name!r}: code {cat.code!r} is not a lowercase slug")
        if not ROUTE_RE.match(cat.route):
            raise ValueError(
                f"category {cat.name!r}: invalid route {cat.route!r} (expected kelurahan, "
                "kecamatan, kota, sudin:<opd> or dinas:<opd>)"
            )
        for key in (cat.name.casefold(), cat.code.casefold()):
            j, other = seen.setdefault(key, (i, cat.name))
            if j != i:
                raise ValueError(f"duplicate category name/code {key!r} ({other}, {cat.name})")
        if cat.name != default and not cat.keywords:
            raise ValueError(f"category {cat.name!r} has no keywords")
        norm: set[tuple[str, ...]] = set()
        for kw in cat.keywords:
            tokens = normalize(kw)
            if not tokens:
                raise ValueError(f"category {cat.name!r}: keyword {kw!r} has no words")
            if tokens in norm:
                raise ValueError(f"category {cat.name!r}: duplicate keyword {kw!r}")
            norm.add(tokens)


def _parse_category(n: int, raw: Any) -> Category:
    if not isinstance(raw, Mapping):
        raise ValueError(f"categories[{n}] is not a mapping")
    unknown = set(raw) - _KEYS
    missing = {"name", "code", "route"} - set(raw)
    if unknown or missing:
        raise ValueError(
            f"categories[{n}]: unknown keys {sorted(map(str, unknown))}, missing {sorted(missing)}"
        )
    for key in ("name", "code", "route"):
        if not isinstance(raw[key], str):
            raise ValueError(f"categories[{n}]: {key} must be a string")
    keywords = raw.get("keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise ValueError(f"category {raw['name']!r}: keywords must be a list of strings")
    return Category(raw["name"].strip(), raw["code"], raw["route"], tuple(keywords))


def load_catalog(path: Path) -> CategoryCatalog:
    """Read and validate a city's categories YAML; raises ValueError naming the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    try:
        if not isinstance(data, Mapping):
            raise ValueError("top level must be a mapping")
        default = data.get("default_category")
        if not isinstance(default, str):
            raise ValueError("default_category is missing or not a string")
        raw_categories = data.get("categories")
        if not isinstance(raw_categories, list):
            raise ValueError("categories is missing or not a list")
        cats = [_parse_category(n, raw) for n, raw in enumerate(raw_categories)]
        return CategoryCatalog(default, cats)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
