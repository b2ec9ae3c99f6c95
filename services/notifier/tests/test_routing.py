"""Which sender reaches whom: reporters by the channel they used, units by contacts.yaml."""

from pathlib import Path

from aduan_notifier.routing import (
    NeedsReport,
    Target,
    UnitContact,
    Unreachable,
    reporter_target,
    unit_target,
)
from aduan_notifier.unit_contacts import UnitDirectory

CONTACTS = Path(__file__).resolve().parents[3] / "config" / "cities" / "jakarta" / "contacts.yaml"


def test_each_channel_answers_on_its_own_address() -> None:
    def t(channel: str, contact: dict[str, str], ext: str | None = "x-1") -> object:
        return reporter_target(channel, contact, ext, report_known=True)

    assert t("sms_whatsapp", {"phone": "+62811"}) == Target("sms", {"phone": "+62811"})
    assert t("sms_whatsapp", {"phone": "+62811", "phone_number_id": "PN", "name": "A"}) == Target(
        "whatsapp", {"wa_id": "62811", "phone_number_id": "PN"}
    )
    assert t("twitter", {"user_id": "42", "handle": "@a"}) == Target("x_dm", {"user_id": "42"})
    assert t("facebook", {"psid": "9", "page_id": "P"}) == Target(
        "meta", {"recipient_id": "9", "page_id": "P"}
    )
    assert t("leader_social", {"igsid": "7"}) == Target("meta", {"recipient_id": "7"})
    assert t("email", {"email": "a@b.id", "name": "A"}, "m1@b.id") == Target(
        "email", {"email": "a@b.id", "in_reply_to": "m1@b.id"}
    )
    assert t("lapor", {"name": "A", "phone": "+62811"}, "LAP-1") == Target(
        "lapor", {"external_id": "LAP-1"}
    )
    assert t("jaki", {"citizen_id": "317", "phone": "+62811"}, "J-1") == Target(
        "jaki", {"external_id": "J-1", "citizen_id": "317"}
    )
    assert t("balai_warga", {"phone": "+62811", "email": "a@b.id"}) == Target(
        "sms", {"phone": "+62811"}
    )
    assert t("kelurahan", {"email": "a@b.id"}) == Target("email", {"email": "a@b.id"})


def test_without_a_contact_or_the_report_s_own_id_nothing_is_sent() -> None:
    assert reporter_target("sms_whatsapp", None, None, report_known=True) == Unreachable(
        "no_contact"
    )
    assert reporter_target("twitter", {"name": "A"}, None, report_known=True) == Unreachable(
        "no_usable_contact"
    )
    assert reporter_target("lapor", {"name": "A"}, None, report_known=False) == NeedsReport()
    assert reporter_target("lapor", {"name": "A"}, None, report_known=True) == Unreachable(
        "no_external_id", "lapor"
    )
    # an e-mail not yet threadable waits for report.received, then goes unthreaded
    assert reporter_target("email", {"email": "a@b.id"}, None, report_known=False) == NeedsReport()
    assert reporter_target("email", {"email": "a@b.id"}, None, report_known=True) == Target(
        "email", {"email": "a@b.id"}
    )


def test_units_by_webhook_else_email_from_the_city_file() -> None:
    directory = UnitDirectory.load(CONTACTS)
    lurah = directory.lookup("kelurahan:31.74.03.1002")
    assert lurah == UnitContact(email="kelurahan-31-74-03-1002@aduan.jakarta.go.id", language="id")
    assert unit_target(lurah) == Target(
        "email", {"email": "kelurahan-31-74-03-1002@aduan.jakarta.go.id"}
    )
    assert directory.lookup("verifier") == UnitContact(
        email="verifikasi.aduan@jakarta.go.id", language="id"
    )
    own = UnitDirectory(
        {"units": {"dinas:sda": {"webhook": "https://sda.example/hook", "language": "en"}}}
    )
    sda = own.lookup("dinas:sda")
    assert unit_target(sda) == Target("unit_webhook", {"url": "https://sda.example/hook"})
    assert own.lookup("dinas:lh") is None  # no entry and no pattern
    assert unit_target(None) == Unreachable("unit_without_contact")
    assert UnitDirectory.load(None).lookup("verifier") is None
    assert UnitDirectory.load(None).empty and not directory.empty
