"""Every template, in every language, with worst-case parameters: one SMS of GSM-7."""

import pytest
from aduan_notifier.templates import (
    LANGUAGES,
    SMS_LIMIT,
    TEMPLATES,
    Language,
    gsm7_length,
    placeholders,
    render,
    to_gsm7,
)

LONGEST_STATE = "verification"  # "Menunggu Verifikasi" / "Awaiting verification"
WORST = {
    "tracking_code": "JKTXYZ-ZZZZZZZZ",  # a six-letter city prefix
    "original_code": "JKTXYZ-YYYYYYYY",
    "date": "31/12/2026",
    "deadline": "31/12/2026 23:59",
    "days": "999.9",
    "kind": "estimate_missed",
    "state": LONGEST_STATE,
    "label": "Estimasi Waktu Selesai",
    # free text: long, with characters outside GSM-7 (emoji, curly quotes, Arabic, an extension
    # character) that must not survive
    "note": "Perbaikan “selesai” – lihat foto 📷 ✅ ~ ^ {x} " + "sangat panjang " * 40 + "مرحبا",
    "category": "Gangguan Ketenteraman dan Ketertiban " * 4,
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(TEMPLATES["id"]))
def test_every_template_fits_one_gsm7_sms_with_worst_case_params(
    template: str, language: Language
) -> None:
    text = render(template, WORST, language)
    septets = gsm7_length(text)
    assert septets is not None, f"{template}/{language} is not GSM-7: {text!r}"
    assert septets <= SMS_LIMIT, f"{template}/{language} takes {septets}: {text!r}"


def test_both_languages_have_the_same_templates_and_parameters() -> None:
    assert set(TEMPLATES["id"]) == set(TEMPLATES["en"])
    for name in TEMPLATES["id"]:
        assert placeholders(name, "id") == placeholders(name, "en"), name


def test_the_issue_s_templates_exist() -> None:
    reporter = {"received", "routed", "in_progress", "scheduled", "done", "rejected", "reopened"}
    reporter |= {"duplicate_done"}  # a merged duplicate's reporter, when the original is done
    reporter |= {"coordination"}  # in the admin pool or between units: not yet with an officer
    answers = {"status_answer", "status_unknown_code", "status_needs_code"}
    unit = {"unit_new_case", "unit_handover", "sla_warning", "sla_breached", "verifier_case"}
    assert set(TEMPLATES["id"]) == reporter | answers | unit


def test_rendered_texts_say_what_happened() -> None:
    params = {
        "tracking_code": "JKT-7K3M9Q2X",
        "note": "Lubang sudah ditambal.",
        "date": "01/12/2026",
    }
    assert render("done", params) == (
        "Laporan JKT-7K3M9Q2X selesai. Catatan petugas: Lubang sudah ditambal."
    )
    assert render("scheduled", params, "en") == (
        "Report JKT-7K3M9Q2X is scheduled to be finished by 01/12/2026."
    )
    assert render("rejected", {"tracking_code": "JKT-1"}) == "Laporan JKT-1 ditolak. Alasan: -"
    answer = {"tracking_code": "JKT-1", "state": "in_progress", "label": "Proses"}
    assert render("status_answer", answer) == "Status laporan JKT-1: Proses."
    assert render("status_answer", answer, "en") == "Status of report JKT-1: In progress."


def test_a_long_note_is_shortened_visibly() -> None:
    text = render("done", {"tracking_code": "JKT-1", "note": "x" * 400})
    assert len(text) == SMS_LIMIT and text.endswith("x...")


def test_gsm7_conversion_and_counting() -> None:
    assert to_gsm7("“Jalan” – rusak…\n✅ café â") == '"Jalan" - rusak... café a'
    assert gsm7_length("a{b}") == 6  # extension characters take two septets
    assert gsm7_length("✅") is None
    assert gsm7_length("Rp 5.000 @ 10%") == 14
