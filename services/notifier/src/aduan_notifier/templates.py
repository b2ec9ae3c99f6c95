"""Message templates per event and recipient, Indonesian and English, one SMS long (pure).

Every rendered text fits one SMS: at most 160 GSM-7 septets (characters of the GSM 03.38 basic
set count 1, its extension set 2). Parameters are converted to GSM-7 (curly quotes and dashes
to plain ones, accents dropped, anything else removed) and the free-text ones (an officer's
note, a category name) are shortened to what the template leaves.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from string import Formatter
from typing import Literal

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")
SMS_LIMIT = 160

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[]~|€\f")

#: Parameters that are free text and get shortened to fit; the others are short by nature.
FREE_PARAMS = ("note", "category")

_REPLACEMENTS = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "\u00a0": " ",
    "\t": " ",
    "\n": " ",
    "\r": " ",
}

TEMPLATES: dict[Language, dict[str, str]] = {
    "id": {
        # reporter
        "received": (
            "Laporan Anda diterima dengan kode {tracking_code}. Simpan kode ini; "
            'kirim "status {tracking_code}" untuk menanyakan perkembangannya.'
        ),
        "coordination": (
            "Laporan {tracking_code} sedang dikoordinasikan untuk menentukan petugas yang "
            "berwenang."
        ),
        "routed": (
            "Laporan {tracking_code} sudah diteruskan ke petugas yang berwenang dan menunggu "
            "tindak lanjut."
        ),
        "in_progress": "Laporan {tracking_code} sedang dikerjakan oleh petugas.",
        "scheduled": "Laporan {tracking_code} dijadwalkan selesai paling lambat {date}.",
        "done": "Laporan {tracking_code} selesai. Catatan petugas: {note}",
        "duplicate_done": (
            "Laporan {tracking_code} Anda sama dengan laporan {original_code} yang kini "
            "selesai. Catatan petugas: {note}"
        ),
        "rejected": "Laporan {tracking_code} ditolak. Alasan: {note}",
        "reopened": "Laporan {tracking_code} dibuka kembali dan akan ditindaklanjuti lagi.",
        "status_answer": "Status laporan {tracking_code}: {label}.",
        "status_unknown_code": (
            "Kode laporan {tracking_code} tidak kami temukan. Mohon periksa kembali kodenya."
        ),
        "status_needs_code": (
            "Mohon sertakan kode laporan Anda (contoh: JKT-7K3M9Q2X) agar kami dapat "
            "memeriksa statusnya."
        ),
        # unit
        "unit_new_case": (
            "Aduan baru {tracking_code} ({category}) masuk ke unit Anda. Mohon segera "
            "ditindaklanjuti."
        ),
        "unit_handover": (
            "Aduan {tracking_code} ({category}) dialihkan ke unit Anda. Mohon segera "
            "ditindaklanjuti."
        ),
        "sla_warning": (
            "Peringatan: aduan {tracking_code} belum ditindaklanjuti setelah {days} hari. "
            "Batas waktu {deadline}."
        ),
        "sla_breached": (
            "Aduan {tracking_code} melewati batas waktu {deadline} ({days} hari) dan tercatat "
            "sebagai pelanggaran."
        ),
        # verifier
        "verifier_case": (
            "Aduan {tracking_code} dilaporkan selesai dengan bukti dan menunggu verifikasi Anda."
        ),
    },
    "en": {
        "received": (
            "Your report was received with code {tracking_code}. Keep it; send "
            '"status {tracking_code}" to ask how it is going.'
        ),
        "coordination": (
            "Report {tracking_code} is being coordinated to find the responsible office."
        ),
        "routed": (
            "Report {tracking_code} was passed to the responsible office and awaits its response."
        ),
        "in_progress": "Report {tracking_code} is being worked on.",
        "scheduled": "Report {tracking_code} is scheduled to be finished by {date}.",
        "done": "Report {tracking_code} is done. Officer's note: {note}",
        "duplicate_done": (
            "Your report {tracking_code} is the same as report {original_code}, now done. "
            "Officer's note: {note}"
        ),
        "rejected": "Report {tracking_code} was rejected. Reason: {note}",
        "reopened": "Report {tracking_code} was reopened and will be handled again.",
        "status_answer": "Status of report {tracking_code}: {label}.",
        "status_unknown_code": (
            "We could not find report code {tracking_code}. Please check the code."
        ),
        "status_needs_code": (
            "Please include your report code (e.g. JKT-7K3M9Q2X) so we can check its status."
        ),
        "unit_new_case": (
            "New report {tracking_code} ({category}) for your unit. Please follow it up soon."
        ),
        "unit_handover": (
            "Report {tracking_code} ({category}) was handed over to your unit. Please follow "
            "it up soon."
        ),
        "sla_warning": (
            "Warning: report {tracking_code} has had no follow-up for {days} days. "
            "Deadline {deadline}."
        ),
        "sla_breached": (
            "Report {tracking_code} missed its deadline {deadline} ({days} days); recorded as "
            "a breach."
        ),
        "verifier_case": (
            "Report {tracking_code} was reported done with evidence and awaits your verification."
        ),
    },
}

#: The lifecycle labels people see, per language (Indonesian ones are Jakarta's, DOMAIN.md).
STATE_LABELS_EN = {
    "received": "Received",
    "waiting": "Waiting",
    "coordination": "Coordination",
    "disposition": "Disposition",
    "in_progress": "In progress",
    "scheduled": "Estimated completion",
    "verification": "Awaiting verification",
    "done": "Done",
    "rejected": "Rejected",
}

#: Short subject lines for e-mail (the body is the rendered text).
SUBJECTS: dict[Language, str] = {"id": "Laporan {tracking_code}", "en": "Report {tracking_code}"}


def gsm7_length(text: str) -> int | None:
    """Septets `text` takes in GSM-7 (extension characters count 2); None if not encodable."""
    total = 0
    for ch in text:
        if ch in GSM7_BASIC:
            total += 1
        elif ch in GSM7_EXTENSION:
            total += 2
        else:
            return None
    return total


def to_gsm7(text: str) -> str:
    """`text` with every character GSM-7 basic: quotes and dashes made plain, accents dropped,
    anything else (emoji, other scripts, extension characters) removed; spaces collapsed."""
    out: list[str] = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        if all(c in GSM7_BASIC for c in ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append("".join(c for c in base if c in GSM7_BASIC))
    return " ".join("".join(out).split())


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit <= 3:
        return "." * max(limit, 0)
    return text[: limit - 3].rstrip() + "..."


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "-"


def placeholders(template: str, language: Language = "id") -> set[str]:
    """The parameter names a template uses."""
    return {name for _, name, _, _ in Formatter().parse(TEMPLATES[language][template]) if name}


def render(template: str, params: Mapping[str, str], language: Language = "id") -> str:
    """The text of `template` in `language` with `params`, within SMS_LIMIT GSM-7 septets.

    Raises KeyError for an unknown template. A missing parameter shows as "-".
    """
    pattern = TEMPLATES[language][template]
    values = _Missing({k: to_gsm7(v) for k, v in params.items()})
    if template == "status_answer" and language == "en" and "state" in params:
        values["label"] = STATE_LABELS_EN.get(params["state"], values.get("label", "-"))
    used = placeholders(template, language)
    free = [k for k in FREE_PARAMS if k in used]
    # Free parameters share what the rest of the text leaves (each one counted as often as used).
    bare = pattern.format_map(_Missing({**values, **{k: "" for k in free}}))
    budget = SMS_LIMIT - len(bare)
    for k in free:
        share = budget // (len(free) * max(pattern.count("{" + k + "}"), 1))
        values[k] = _shorten(values[k] or "-", share)
    text = pattern.format_map(values)
    if len(text) > SMS_LIMIT:  # only when fixed parameters are out of bounds: cut the end
        text = _shorten(text, SMS_LIMIT)
    return text


def subject(params: Mapping[str, str], language: Language = "id") -> str:
    """An e-mail subject naming the tracking code."""
    return SUBJECTS[language].format_map(_Missing({k: to_gsm7(v) for k, v in params.items()}))
