"""What an inbound message wants: a new report, a thanks, or a question about a report's status."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from .base import InboundMessage


@dataclass(frozen=True)
class Report:
    """A complaint: make a report from it."""


@dataclass(frozen=True)
class Thanks:
    """A thanks, acknowledgement, greeting or emoji: no report."""


@dataclass(frozen=True)
class StatusQuestion:
    """A question about an earlier report; `tracking_code` is "" when none was given."""

    tracking_code: str


Intent = Report | Thanks | StatusQuestion

DEFAULT_PREFIXES = ("JKT",)
_CODE = re.compile(r"(?<![\w-])([A-Za-z]{2,5})-([0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{8})(?![\w-])")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_REPEATS = re.compile(r"(\w)\1{2,}")  # "makasiiih" → "makasih"
_WORD = re.compile(r"[^\W_]+")


def _vocab(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Words that thank or acknowledge; a message made only of these (and fillers) is a Thanks.
_THANKS = _vocab(
    """terima kasih makasih makasi maksih mksh mkasih trimakasih terimakasih trmksh trims tks
    thanks thank thx tq ty tengkyu nuhun hatur suwun matur nuwun ok oke okay okey oce okeh sip
    siap siapp baik noted mantap mantab mantul keren top good nice great bagus beres done
    alhamdulillah amin aamiin"""
)
#: Words that carry no complaint on their own (greetings, address terms, politeness).
_FILLER = _vocab(
    """min mimin admin kak ka kakak pak bapak bu ibu mas mbak bang gan sis bro ya yaa iya yes y
    sudah udah udh dah sangat banyak sekali bgt banget atas infonya informasinya responnya
    bantuannya kerjanya tanggapannya respon cepat cepet sama you very much so and for the
    halo hallo hai hi hello pagi siang sore malam selamat salam assalamualaikum
    wassalamualaikum ditunggu kabarnya semangat sukses selalu juga deh dong nih kok sih lah
    jakarta dki pemprov tim petugas semua kalian"""
)
_NEGATION = _vocab("belum blm masih tapi tetapi namun tidak tdk gak ga nggak enggak ngga")
_REPORT_NOUNS = r"(?:laporan|laporannya|aduan|aduannya|pengaduan|keluhan|komplain|tiket)"
_ASKS = (
    r"(?:status|statusnya|gimana|gmn|gmana|bagaimana|bgmn|sampai mana|sampe mana|progres|progress"
    r"|perkembangan|perkembangannya|kapan|diproses|ditindaklanjuti|tindak lanjut|tindaklanjut)"
)
_STATUS = re.compile(
    rf"\b(?:status|cek|lacak|progres|progress|perkembangan|update|kabar|gimana|gmn|bagaimana)\b"
    rf" (?:\w+ ){{0,2}}{_REPORT_NOUNS}\b"
    rf"|\b{_REPORT_NOUNS} (?:\w+ ){{0,4}}{_ASKS}\b"
)
#: A status question without a code must be short, or it likely describes a (new) problem.
_STATUS_MAX_WORDS = 14


def classify_intent(
    text: str,
    is_reply: bool,
    *,
    has_attachments: bool = False,
    prefixes: Collection[str] = DEFAULT_PREFIXES,
) -> Intent:
    """Classify a message; pure and deterministic.

    A tracking code (`[A-Z]{2,5}-` + 8 Crockford base32 characters, any case) makes a status
    question. To keep words like "semi-permanen" from passing for codes, a candidate is taken
    when its prefix is one of `prefixes`, it contains a digit, or it is written in capitals.
    Photos or a location (`has_attachments`) make a message a report even without words.
    """
    code = find_tracking_code(text, prefixes)
    if code is not None:
        return StatusQuestion(code)
    normalised = _REPEATS.sub(r"\1", _MENTION.sub(" ", _URL.sub(" ", text)).lower())
    words = _WORD.findall(normalised)
    if has_attachments:
        return Report()
    if _is_thanks(words, is_reply):
        return Thanks()
    if len(words) <= _STATUS_MAX_WORDS and _STATUS.search(" ".join(words)):
        return StatusQuestion("")
    return Report()


def classify_message(
    message: InboundMessage, *, prefixes: Collection[str] = DEFAULT_PREFIXES
) -> Intent:
    """`classify_intent` for an inbound message (its photos and location count as content)."""
    return classify_intent(
        message.text, message.is_reply, has_attachments=message.has_attachments, prefixes=prefixes
    )


def find_tracking_code(text: str, prefixes: Collection[str] = DEFAULT_PREFIXES) -> str | None:
    """The first tracking code in the text, upper-cased, or None."""
    known = {p.upper() for p in prefixes}
    for match in _CODE.finditer(text):
        prefix, body = match.group(1), match.group(2)
        code = f"{prefix}-{body}".upper()
        if prefix.upper() in known or any(c.isdigit() for c in body) or code == match.group(0):
            return code
    return None


def _is_thanks(words: list[str], is_reply: bool) -> bool:
    """Nothing but thanks/acknowledgement/greeting words (or emoji); a reply may add one word."""
    if not words:
        return True  # empty, emoji-only or punctuation-only
    unknown = [w for w in words if w not in _THANKS and w not in _FILLER]
    if any(w in _NEGATION for w in words):
        return False
    if not unknown:
        return any(w in _THANKS for w in words) or len(words) <= 3
    thanked = any(w in _THANKS for w in words)
    return is_reply and thanked and len(unknown) == 1 and len(words) <= 6
