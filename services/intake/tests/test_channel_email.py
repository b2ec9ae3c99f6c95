"""E-mail adapter: raw RFC 5322 bytes to an InboundEmail (text, sender, photos, threading)."""

import base64
import hashlib
import io
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest
from aduan_intake.channel_adapters.email import (
    MAX_PHOTOS,
    InboundEmail,
    html_to_text,
    parse_email,
    strip_quoted,
)
from aduan_shared.errors import InvalidInput
from PIL import Image

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ADDRESS = "aduan@jakarta.go.id"
SUBJECT = "Jalan berlubang di Jl. Kemang Raya"
BODY = "Ada lubang besar di depan no. 12 🕳️, bahaya buat motor 🙏"


def _jpeg(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buf, "JPEG")
    return buf.getvalue()


def _mail(body: str = BODY, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    defaults = {
        "From": "Siti Rahma <Siti.Rahma@Example.co.id>",
        "To": ADDRESS,
        "Subject": SUBJECT,
        "Date": "Mon, 23 Nov 2026 08:15:00 +0700",
        "Message-ID": "<abc123@mail.example.co.id>",
    }
    for name, value in {**defaults, **{k.replace("_", "-"): v for k, v in headers.items()}}.items():
        if value:
            msg[name] = value
    msg.set_content(body)
    return msg


def _parse(msg: EmailMessage | bytes, **kwargs: object) -> InboundEmail:
    raw = msg if isinstance(msg, bytes) else msg.as_bytes()
    return parse_email(raw, received_at=NOW, **kwargs)  # type: ignore[arg-type]


def test_plain_indonesian_text_with_emoji() -> None:
    parsed = _parse(_mail())
    msg = parsed.message
    assert msg.channel == "email"
    assert msg.external_id == "abc123@mail.example.co.id"
    assert msg.text == SUBJECT + "\n" + BODY
    assert msg.sender == {"email": "siti.rahma@example.co.id", "name": "Siti Rahma"}
    assert msg.received_at == datetime(2026, 11, 23, 8, 15, tzinfo=WIB)
    assert msg.received_at.utcoffset() == timedelta(hours=7)
    assert msg.is_reply is False
    assert (parsed.photos, parsed.in_reply_to) == ((), ())
    assert (parsed.ignored_attachments, parsed.dropped_photos) == (0, 0)


def test_sender_without_display_name_has_only_email() -> None:
    parsed = _parse(_mail(From="warga@example.com"))
    assert parsed.message.sender == {"email": "warga@example.com"}


def test_html_only_body_is_plain_text_without_script_or_style() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head>"
        "<body><p>Sampah menumpuk &amp; bau</p><p>di Pasar Minggu&nbsp;sejak Senin</p>"
        "<script>document.cookie</script></body></html>"
    )
    msg = _mail()
    msg.set_content(html, subtype="html")
    parsed = _parse(msg)
    assert parsed.message.text == SUBJECT + "\nSampah menumpuk & bau\n\ndi Pasar Minggu sejak Senin"
    assert "alert" not in parsed.message.text
    assert "cookie" not in parsed.message.text
    assert "color" not in parsed.message.text


def test_html_to_text_keeps_line_breaks_and_unescapes_once() -> None:
    html = "Halo<br>  warga&#33;<div>a &amp;lt; b</div><STYLE>x{}</STYLE>"
    assert html_to_text(html) == "Halo\nwarga!\na &lt; b"


def test_alternative_body_with_jpeg_and_pdf_attachments() -> None:
    jpeg = _jpeg()
    msg = _mail("Foto terlampir. Lokasi: Jl. Kemang Raya 12")
    msg.add_alternative("<p>Foto <b>terlampir</b>.</p>", subtype="html")
    msg.add_attachment(jpeg, maintype="image", subtype="jpeg", filename="lubang.jpg")
    msg.add_attachment(
        b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf", filename="s.pdf"
    )
    parsed = _parse(msg)
    assert parsed.message.text == SUBJECT + "\nFoto terlampir. Lokasi: Jl. Kemang Raya 12"
    assert parsed.photos == (jpeg,)
    assert parsed.ignored_attachments == 1
    assert parsed.dropped_photos == 0


def test_inline_image_in_multipart_related_is_a_photo() -> None:
    jpeg = _jpeg((10, 120, 10))
    msg = _mail("Lihat foto di bawah")
    msg.add_alternative('<p>Lihat foto di bawah</p><img src="cid:foto1@warga">', subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(jpeg, "image", "jpeg", cid="<foto1@warga>")
    parsed = _parse(msg)
    assert parsed.message.text == SUBJECT + "\nLihat foto di bawah"
    assert parsed.photos == (jpeg,)
    assert parsed.ignored_attachments == 0


def test_more_than_five_images_keeps_the_first_five() -> None:
    jpegs = [_jpeg((i * 30, 0, 0)) for i in range(MAX_PHOTOS + 2)]
    msg = _mail("Banyak foto")
    for i, jpeg in enumerate(jpegs):
        msg.add_attachment(jpeg, maintype="image", subtype="jpeg", filename=f"f{i}.jpg")
    parsed = _parse(msg)
    assert parsed.photos == tuple(jpegs[:MAX_PHOTOS])
    assert parsed.dropped_photos == 2
    assert parsed.ignored_attachments == 0


def test_reply_drops_quoted_history_and_lists_thread_ids() -> None:
    body = (
        "Lubangnya makin besar, tolong segera.\n"
        "\n"
        "Pada Sen, 22 Nov 2026 pukul 10.00 Aduan Jakarta <noreply@aduan.jakarta.go.id>\n"
        "menulis:\n"
        "> Laporan Anda diterima.\n"
        "> Kode: ADU-2026-000123\n"
    )
    msg = _mail(
        body,
        Subject="Re: [ADU-2026-000123] Laporan diterima",
        In_Reply_To="<notif-ADU-2026-000123@aduan.jakarta.go.id>",
        References="<report-1@aduan.jakarta.go.id> <notif-ADU-2026-000123@aduan.jakarta.go.id>",
    )
    parsed = _parse(msg)
    assert parsed.message.text == (
        "Re: [ADU-2026-000123] Laporan diterima\nLubangnya makin besar, tolong segera."
    )
    assert parsed.message.is_reply is True
    assert parsed.in_reply_to == (
        "notif-ADU-2026-000123@aduan.jakarta.go.id",
        "report-1@aduan.jakarta.go.id",
    )


@pytest.mark.parametrize(
    ("subject", "is_reply"),
    [
        ("Re: Jalan rusak", True),
        ("RE : Jalan rusak", True),
        ("Balas: Jalan rusak", True),
        ("Fwd: Jalan rusak", True),
        ("Rekap jalan rusak", False),
        ("Jalan rusak, re: kemarin", False),
    ],
)
def test_reply_subject_prefix(subject: str, is_reply: bool) -> None:
    parsed = _parse(_mail(Subject=subject))
    assert parsed.message.is_reply is is_reply
    assert parsed.in_reply_to == ()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Baru.\nOn Mon, 22 Nov 2026 at 10:00, Aduan <a@b.id> wrote:\nlama\n", "Baru."),
        ("Baru.\n-----Original Message-----\nFrom: x\nlama", "Baru."),
        ("Baru.\n----- Pesan Asli -----\nlama", "Baru."),
        ("Baru.\n\n-- \nBudi Santoso\n0812-0000-0000", "Baru."),
        ("> kutipan\nBaru.\n\n\n\n> lagi\nLanjut.", "Baru.\n\nLanjut."),
        (
            "Pada hari Senin saya lewat sana.\nMasih rusak.",
            "Pada hari Senin saya lewat sana.\nMasih rusak.",
        ),
    ],
)
def test_strip_quoted(body: str, expected: str) -> None:
    assert strip_quoted(body) == expected


def test_wrong_address_is_422_when_complaint_addresses_given() -> None:
    msg = _mail(To="pak.rt@example.com")
    with pytest.raises(InvalidInput) as err:
        _parse(msg, complaint_addresses=(ADDRESS,))
    assert err.value.status == 422
    assert err.value.detail == "not addressed to a complaint address"
    assert _parse(msg).message.external_id == "abc123@mail.example.co.id"  # no filter: accepted


@pytest.mark.parametrize(
    "headers",
    [
        {"To": "Aduan DKI <ADUAN@Jakarta.go.id>"},
        {"To": "pak.rt@example.com", "Cc": "lurah@example.com, aduan@jakarta.go.id"},
        {"To": "undisclosed-recipients:;", "Delivered_To": "aduan@jakarta.go.id"},
        {"To": "list@example.com", "X_Original_To": "aduan@jakarta.go.id"},
    ],
)
def test_complaint_address_matches_any_recipient_header(headers: dict[str, str]) -> None:
    parsed = _parse(_mail(**headers), complaint_addresses=[" Aduan@Jakarta.go.id "])
    assert parsed.message.text == SUBJECT + "\n" + BODY


def test_missing_message_id_falls_back_to_stable_sha256() -> None:
    raw = _mail(Message_ID="").as_bytes()
    first, second = _parse(raw), _parse(raw)
    assert first.message.external_id == hashlib.sha256(raw).hexdigest()
    assert second.message.external_id == first.message.external_id
    other = _parse(_mail("Lain", Message_ID="").as_bytes())
    assert other.message.external_id != first.message.external_id


def test_malformed_thread_headers_do_not_reject_the_mail() -> None:
    raw = (
        b"From: warga@example.com\r\nMessage-ID: <<>\r\nIn-Reply-To: <<notif-9@aduan\r\n"
        b"References: notif-8@aduan\r\nDate: 99 Foo 2026\r\n\r\nMasih rusak\r\n"
    )
    parsed = _parse(raw)
    assert parsed.message.external_id == hashlib.sha256(raw).hexdigest()
    assert parsed.message.text == "Masih rusak"
    assert parsed.message.received_at == NOW
    assert parsed.in_reply_to == ("notif-9@aduan", "notif-8@aduan")
    assert parsed.message.is_reply is True


def test_encoded_subject_and_from_are_decoded() -> None:
    subject = "Pohon tumbang 🌳 di Jl. Sudirman"
    encoded = base64.b64encode(subject.encode()).decode()
    raw = (
        f"Subject: =?utf-8?b?{encoded}?=\r\n"
        "From: =?iso-8859-1?q?Andr=E9_Wijaya?= <andre@example.com>\r\n"
        f"To: {ADDRESS}\r\n"
        "Message-ID: <enc-1@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Menutup jalan.\r\n"
    ).encode()
    parsed = _parse(raw)
    assert parsed.message.text == subject + "\nMenutup jalan."
    assert parsed.message.sender == {"email": "andre@example.com", "name": "André Wijaya"}
    assert parsed.message.received_at == NOW  # no Date header


@pytest.mark.parametrize(
    ("charset", "payload", "expected"),
    [
        ("iso-8859-1", "Caf\xe9 di pojok".encode("latin-1"), "Café di pojok"),
        ("utf-8", "Kali meluap 🌊".encode(), "Kali meluap 🌊"),
        ("x-unknown-charset", "Got\u00f3ng royong".encode(), "Gotóng royong"),
    ],
)
def test_body_charsets(charset: str, payload: bytes, expected: str) -> None:
    raw = (
        b"From: warga@example.com\r\nSubject: Banjir\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + payload + b"\r\n"
    )
    assert _parse(raw).message.text == "Banjir\n" + expected


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Sun, 22 Nov 2026 23:59:59 -0000", datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)),
        ("kemarin sore", NOW),
    ],
)
def test_date_header_or_fallback(date: str, expected: datetime) -> None:
    assert _parse(_mail(Date=date)).message.received_at == expected


def test_naive_fallback_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_email(_mail().as_bytes(), received_at=datetime(2026, 11, 23, 12, 0))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"  \r\n\r\n",
        b"\x00\xff\xfe\x89 garbage without any headers",
        b"just some text\nno headers here\n",
    ],
)
def test_garbage_is_422(raw: bytes) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_email(raw, received_at=NOW)
    assert err.value.status == 422
    assert err.value.detail in (
        "the e-mail is empty",
        "the body is not an RFC 5322 message: it has no header fields",
    )


@pytest.mark.parametrize("sender", ["", "Siti Rahma", "undisclosed-recipients:;"])
def test_missing_or_unusable_from_is_422(sender: str) -> None:
    with pytest.raises(InvalidInput) as err:
        _parse(_mail(From=sender))
    assert err.value.detail == "the From header must hold an e-mail address"
