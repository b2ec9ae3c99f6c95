"""E-mail channel: one raw RFC 5322 message (SMTP or `message/rfc822`) to a message and photos."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from aduan_shared.errors import InvalidInput

from .base import InboundMessage, dedupe

CHANNEL = "email"
#: At most this many photos per report (CONTRACTS.md); the rest are counted in `dropped_photos`.
MAX_PHOTOS = 5
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")

_REPLY_SUBJECT = re.compile(r"^\s*(re|balas|fwd?|fw)\s*:", re.IGNORECASE)
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_REPLY_INTRO = re.compile(r"^\s*(on|pada)\s", re.IGNORECASE)
_REPLY_OUTRO = re.compile(r"(wrote|menulis)\s*:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{3,}\s*(original message|pesan asli)\s*-{3,}\s*$", re.IGNORECASE)
_BLOCK_TAGS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr"})


@dataclass(frozen=True)
class InboundEmail:
    """A parsed e-mail: the message, its image bytes (unsniffed) and the ids it replies to."""

    message: InboundMessage
    photos: tuple[bytes, ...] = ()
    in_reply_to: tuple[str, ...] = ()
    ignored_attachments: int = 0
    dropped_photos: int = 0


class _HtmlText(HTMLParser):
    """Collects the visible text of an HTML body: no tags, no script/style, entities unescaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML document, one line per block, spaces collapsed."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(lines)


def strip_quoted(text: str) -> str:
    """The new part of a reply: no `>` lines, nothing after a reply header or a `-- ` signature."""
    lines = text.splitlines()
    kept: list[str] = []
    for i, line in enumerate(lines):
        if line.rstrip() == "--" or _ORIGINAL.match(line):
            break
        if _REPLY_INTRO.match(line):
            joined = line + " " + (lines[i + 1] if i + 1 < len(lines) else "")
            if _REPLY_OUTRO.search(line) or _REPLY_OUTRO.search(joined):
                break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    out: list[str] = []
    for line in kept:  # runs of blank lines become one
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _parse_bytes(raw: bytes) -> EmailMessage:
    if not isinstance(raw, bytes | bytearray) or not raw.strip():
        raise InvalidInput("the e-mail is empty")
    msg = BytesParser(policy=policy.default).parsebytes(bytes(raw))
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise InvalidInput("the body is not an RFC 5322 message: it has no header fields")
    return msg


def _header(msg: Message, name: str, *, lenient: bool = False) -> str:
    """A header's decoded value ('' if absent); an unparsable one is '' if `lenient`, else a 422."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value).strip()
    except (ValueError, IndexError, TypeError, AttributeError, LookupError):
        if lenient:
            return ""
        raise InvalidInput(f"the {name} header is malformed") from None


def _sender(msg: Message) -> dict[str, str]:
    name, addr = (getaddresses([_header(msg, "From")]) or [("", "")])[0]
    if "@" not in addr:
        raise InvalidInput("the From header must hold an e-mail address")
    sender = {"email": addr.strip().lower()}
    if name.strip():
        sender["name"] = name.strip()
    return sender


def _recipients(msg: Message) -> set[str]:
    values: list[str] = []
    for name in RECIPIENT_HEADERS:
        try:
            values.extend(str(v) for v in msg.get_all(name, []))
        except (ValueError, IndexError, TypeError, AttributeError, LookupError):
            raise InvalidInput(f"the {name} header is malformed") from None
    return {addr.strip().lower() for _, addr in getaddresses(values) if addr.strip()}


def _received_at(msg: Message, fallback: datetime) -> datetime:
    date = _header(msg, "Date", lenient=True)
    try:
        parsed = parsedate_to_datetime(date) if date else None
    except (ValueError, TypeError, IndexError):
        parsed = None
    if parsed is None:
        return fallback
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)  # "-0000" is UTC


def _message_ids(*values: str) -> tuple[str, ...]:
    ids: list[str] = []
    for value in values:
        found = _MSG_ID.findall(value) or [t.strip("<>") for t in value.split()]
        ids.extend(i for i in found if i)
    return dedupe(ids)


def _text_of(part: Message) -> str:
    """A text part's content, decoded by its charset (unknown charsets decode as UTF-8, lossily)."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, ValueError, UnicodeDecodeError):
        pass
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _body(msg: EmailMessage) -> tuple[Message | None, str]:
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        return part, _text_of(part)
    part = msg.get_body(preferencelist=("html",))
    if part is not None:
        return part, html_to_text(_text_of(part))
    return None, ""


def _is_attachment(part: Message) -> bool:
    """A file (PDF, docx, a named text file), as opposed to an alternative rendering of the body."""
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return True
    return part.get_content_maintype() not in ("text", "message")


def parse_email(
    raw: bytes, *, received_at: datetime, complaint_addresses: Collection[str] = ()
) -> InboundEmail:
    """Parse one raw e-mail; `received_at` (aware) stands in for a missing or unreadable Date.

    With `complaint_addresses`, mail not addressed (To/Cc/Delivered-To/X-Original-To) to one of
    them is a 422. `in_reply_to` lists In-Reply-To then References ids, without angle brackets.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    msg = _parse_bytes(raw)
    if complaint_addresses:
        wanted = {a.strip().lower() for a in complaint_addresses}
        if not wanted & _recipients(msg):
            raise InvalidInput("not addressed to a complaint address")
    sender = _sender(msg)
    message_id = _header(msg, "Message-ID", lenient=True).strip().strip("<>").strip()
    external_id = message_id or hashlib.sha256(raw).hexdigest()
    subject = _header(msg, "Subject")
    body_part, body = _body(msg)
    text = "\n".join(t for t in (subject, strip_quoted(body)) if t)
    reply_ids = _message_ids(
        _header(msg, "In-Reply-To", lenient=True), _header(msg, "References", lenient=True)
    )

    photos: list[bytes] = []
    ignored = 0
    for part in msg.walk():
        if part.is_multipart() or part is body_part:
            continue
        if part.get_content_maintype() == "image":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data:
                photos.append(data)
        elif _is_attachment(part):
            ignored += 1

    message = InboundMessage(
        channel=CHANNEL,
        external_id=external_id,
        text=text,
        received_at=_received_at(msg, received_at),
        sender=sender,
        is_reply=bool(reply_ids) or bool(_REPLY_SUBJECT.match(subject)),
    )
    return InboundEmail(
        message=message,
        photos=tuple(photos[:MAX_PHOTOS]),
        in_reply_to=reply_ids,
        ignored_attachments=ignored,
        dropped_photos=max(0, len(photos) - MAX_PHOTOS),
    )
