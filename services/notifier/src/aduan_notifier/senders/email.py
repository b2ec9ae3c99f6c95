"""E-mail over SMTP (smtplib in a worker thread): reporters' answers threaded to their mail.

A reply to a report that came by e-mail carries `In-Reply-To` and `References` with the
reporter's original Message-ID, so their answer to it returns to intake as the same report.
Our own Message-ID is derived from the delivery id (`message_id`): a repeat of the same delivery
is recognisably the same message. SMTP 4xx and network errors are transient,
5xx permanent.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from aduan_shared.events import derive_id

from aduan_notifier.senders.base import Outbound, Permanent, SendFailed, Transient, Unknown


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str  # the From address
    domain: str  # right-hand side of our Message-IDs
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout_s: float = 10.0


def message_id(delivery_id: str, domain: str) -> str:
    """`<hex@domain>`: a pure function of the delivery id, in the characters RFC 5322 allows."""
    return f"<{derive_id('mail', delivery_id).hex}@{domain}>"


def build_message(
    config: SmtpConfig, address: Mapping[str, str], message: Outbound
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = config.sender
    mail["To"] = address["email"]
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message_id(message.key, config.domain)
    original = address.get("in_reply_to")
    if original:
        mail["Subject"] = f"Re: {message.subject}"
        mail["In-Reply-To"] = f"<{original}>"
        mail["References"] = f"<{original}>"
    else:
        mail["Subject"] = message.subject
    mail["Auto-Submitted"] = "auto-replied" if original else "auto-generated"
    mail.set_content(message.text)
    return mail


def classify(exc: Exception) -> SendFailed:
    """What an SMTP failure means for the delivery: refused now (Transient), for good
    (Permanent), or a cut or timeout after which the message may have arrived (Unknown)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return (Transient if all(400 <= c < 500 for c in codes) else Permanent)(
            f"smtp recipients refused {codes}"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        kind = Transient if 400 <= exc.smtp_code < 500 else Permanent
        return kind(f"smtp {exc.smtp_code}")
    if isinstance(exc, (smtplib.SMTPConnectError, ConnectionRefusedError, socket.gaierror)):
        return Transient(f"smtp not sent: {type(exc).__name__}")
    # a timeout or a cut: the server may have taken the message before it
    return Unknown(f"smtp may have been sent: {type(exc).__name__}")


class EmailSender:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def _send_sync(self, mail: EmailMessage) -> None:
        c = self._config
        with smtplib.SMTP(c.host, c.port, timeout=c.timeout_s) as smtp:
            if c.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if c.username:
                smtp.login(c.username, c.password)
            smtp.send_message(mail)

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        mail = build_message(self._config, address, message)
        try:
            await asyncio.to_thread(self._send_sync, mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise classify(exc) from exc
