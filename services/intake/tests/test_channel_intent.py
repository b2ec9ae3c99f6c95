"""Intent of inbound messages: report, thanks or status question."""

from datetime import UTC, datetime

import pytest
from aduan_intake.channel_adapters import InboundMessage
from aduan_intake.channel_adapters.intent import (
    Report,
    StatusQuestion,
    Thanks,
    classify_intent,
    classify_message,
    find_tracking_code,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("status laporan JKT-7K3M9Q2X?", "JKT-7K3M9Q2X"),
        ("gimana laporan saya jkt-7k3m9q2x", "JKT-7K3M9Q2X"),
        ("min, cek dong BDG-0A1B2C3D udah sampai mana", "BDG-0A1B2C3D"),
        ("JKT-ABCDEFGH", "JKT-ABCDEFGH"),
        ("kode SBY-QRSTVWXY ya", "SBY-QRSTVWXY"),
        (
            "Terima kasih, tapi laporan JKT-7K3M9Q2X kok ditutup padahal lubangnya masih ada di"
            " depan sekolah dan makin besar",
            "JKT-7K3M9Q2X",
        ),
    ],
)
def test_tracking_code_makes_a_status_question(text: str, code: str) -> None:
    assert classify_intent(text, is_reply=False) == StatusQuestion(code)
    assert classify_intent(text, is_reply=True) == StatusQuestion(code)


@pytest.mark.parametrize(
    "text",
    [
        "atap semi-permanen warung roboh ke trotoar",  # a word, not a code
        "JKT-7K3M9Q2",  # 7 characters
        "JKT-7K3M9Q2XY",  # 9 characters
        "JKT-7K3M9QUX",  # U is not Crockford
        "ABCDEF-7K3M9Q2X",  # prefix too long
    ],
)
def test_code_like_words_are_not_codes(text: str) -> None:
    assert find_tracking_code(text) is None


def test_prefixes_are_configurable() -> None:
    assert find_tracking_code("laporan bks-abcdefgh", prefixes=("BKS",)) == "BKS-ABCDEFGH"
    assert find_tracking_code("laporan bks-abcdefgh") is None


@pytest.mark.parametrize(
    "text",
    [
        "gimana status laporan saya?",
        "laporan saya kemarin sudah sampai mana ya min",
        "cek status aduan dong",
        "bagaimana perkembangan laporan saya pak",
    ],
)
def test_status_question_without_code(text: str) -> None:
    assert classify_intent(text, is_reply=True) == StatusQuestion("")


@pytest.mark.parametrize(
    "text",
    [
        "terima kasih",
        "Terima kasih banyak atas responnya 🙏",
        "makasih min 🙏",
        "makasiiih kak",
        "ok",
        "Oke siap",
        "siap",
        "👍",
        "🙏🙏🙏",
        "@DKIJakarta thx",
        "thank you so much",
        "mantap, sudah beres",
        "",
    ],
)
def test_thanks_and_acknowledgements(text: str) -> None:
    assert classify_intent(text, is_reply=False) == Thanks()
    assert classify_intent(text, is_reply=True) == Thanks()


def test_a_reply_may_add_a_word_to_its_thanks() -> None:
    assert classify_intent("makasih min, gercep", is_reply=True) == Thanks()
    assert classify_intent("makasih min, gercep", is_reply=False) == Report()


@pytest.mark.parametrize(
    "text",
    [
        "jalan bolong di Jl. Kemang Raya, bahaya min",
        "got mampet, air meluap 😡",
        "sampah numpuk",
        "terima kasih min, tapi tolong pohon tumbang di Jl. Cikini segera diangkat, nutup jalan",
        "makasih, tapi masih bocor",
        "belum beres",
        "parkir liar depan Stasiun Tebet tiap sore bikin macet",
        "saya mau lapor jalan rusak, gimana caranya",
        "kapan jalan bolong depan rumah diperbaiki? sudah lapor berkali kali",
    ],
)
def test_complaints_are_reports(text: str) -> None:
    assert classify_intent(text, is_reply=False) == Report()


def test_a_long_status_phrase_describing_a_problem_is_a_report() -> None:
    text = (
        "laporan warga soal banjir di RW 03 Kampung Melayu gimana ini, air sudah sepinggang dari"
        " tadi subuh dan belum ada pompa"
    )
    assert classify_intent(text, is_reply=False) == Report()


def test_media_only_messages_are_reports() -> None:
    assert classify_intent("", is_reply=False, has_attachments=True) == Report()
    msg = InboundMessage(
        channel="sms_whatsapp",
        external_id="wamid.1",
        text="",
        received_at=datetime(2024, 1, 1, tzinfo=UTC),
        sender={"phone": "+6281234567890"},
        photo_media_ids=("123",),
    )
    assert classify_message(msg) == Report()
    no_media = InboundMessage("twitter", "1", "👍", msg.received_at, {}, is_reply=True)
    assert classify_message(no_media) == Thanks()


def test_classification_is_deterministic() -> None:
    text = "gimana laporan saya jkt-7k3m9q2x"
    assert {classify_intent(text, is_reply=False) for _ in range(20)} == {
        StatusQuestion("JKT-7K3M9Q2X")
    }
