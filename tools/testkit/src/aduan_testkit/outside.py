"""The outside world the notifier talks to, on loopback: an SMTP server (aiosmtpd, with AUTH)
that keeps every mail, and recording HTTP servers standing in for the SMS gateway, WhatsApp
Cloud API, X, Meta's Send API, LAPOR!, the JAKI backend and the units' webhooks, each checking
its credential.

`OutsideWorld.running()` starts them all; `notifier_settings()` gives the notifier's settings
that point at them (field names, for an in-process notifier) and `notifier_env()` the same as
`NOTIFIER_*` environment variables (for a notifier process).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from aduan_testkit.recorder import (
    RecordingServer,
    bearer,
    header_equals,
    hmac_sha256,
    query_equals,
)

#: The credentials each stand-in checks (and the notifier is given).
SMS_KEY, WA_TOKEN, X_TOKEN, PAGE_TOKEN = "sms-key", "wa-token", "x-token", "page-token"
LAPOR_KEY, JAKI_SECRET, UNIT_SECRET = "lapor-key", "jaki-secret", "unit-secret"
SMTP_LOGIN, SMTP_PASSWORD = "notifier", "smtp-pass"
WA_PHONE_ID, META_PAGE_ID = "10001", "20001"


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class SmtpRecorder:
    """An aiosmtpd handler keeping every message; AUTH with one login is required."""

    login: bytes = SMTP_LOGIN.encode()
    password: bytes = SMTP_PASSWORD.encode()
    mails: list[Mail] = field(default_factory=list)

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self.login,
            self.password,
        )
        return AuthResult(success=ok)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), parsed, raw))
        return "250 OK"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.rcpt_tos]


@dataclass
class OutsideWorld:
    sms: RecordingServer
    whatsapp: RecordingServer
    x: RecordingServer
    meta: RecordingServer
    lapor: RecordingServer
    jaki: RecordingServer
    units: RecordingServer
    smtp: SmtpRecorder
    smtp_port: int

    @classmethod
    @contextmanager
    def running(cls, smtp_port: int) -> Iterator[OutsideWorld]:
        """Every stand-in started (SMTP on `smtp_port`), stopped on the way out."""
        servers = {
            "sms": RecordingServer("sms", bearer(SMS_KEY)),
            "whatsapp": RecordingServer("whatsapp", bearer(WA_TOKEN)),
            "x": RecordingServer("x", bearer(X_TOKEN)),
            "meta": RecordingServer("meta", query_equals("access_token", PAGE_TOKEN)),
            "lapor": RecordingServer("lapor", header_equals("X-Api-Key", LAPOR_KEY)),
            "jaki": RecordingServer("jaki", hmac_sha256(JAKI_SECRET)),
            "units": RecordingServer("units", hmac_sha256(UNIT_SECRET)),
        }
        smtp = SmtpRecorder()
        controller = Controller(
            smtp,
            hostname="127.0.0.1",
            port=smtp_port,
            authenticator=smtp.authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
        for s in servers.values():
            s.start()
        controller.start()
        try:
            yield cls(**servers, smtp=smtp, smtp_port=smtp_port)
        finally:
            controller.stop()
            for s in servers.values():
                s.stop()

    def http(self) -> list[RecordingServer]:
        return [self.sms, self.whatsapp, self.x, self.meta, self.lapor, self.jaki, self.units]

    def everything_containing(self, text: str) -> list[Any]:
        """Every request and mail whose path or body contains `text`."""
        found: list[Any] = [r for s in self.http() for r in s.matching(text)]
        return found + [m for m in self.smtp.mails if text.encode() in m.raw]

    def notifier_settings(self) -> dict[str, Any]:
        """The notifier's channel settings (field names) pointing at these stand-ins."""
        return {
            "sms_url": f"{self.sms.url}/v1/messages",
            "sms_api_key": SMS_KEY,
            "whatsapp_graph_url": f"{self.whatsapp.url}/v21.0",
            "whatsapp_token": WA_TOKEN,
            "whatsapp_phone_number_id": WA_PHONE_ID,
            "x_api_url": self.x.url,
            "x_bearer_token": X_TOKEN,
            "meta_graph_url": f"{self.meta.url}/v21.0",
            "meta_page_access_token": PAGE_TOKEN,
            "meta_page_id": META_PAGE_ID,
            "smtp_host": "127.0.0.1",
            "smtp_port": self.smtp_port,
            "smtp_username": SMTP_LOGIN,
            "smtp_password": SMTP_PASSWORD,
            "mail_from": "Aduan Jakarta <noreply@aduan.test>",
            "mail_domain": "aduan.test",
            "lapor_url": f"{self.lapor.url}/api",
            "lapor_api_key": LAPOR_KEY,
            "jaki_webhook_url": f"{self.jaki.url}/aduan/push",
            "jaki_webhook_secret": JAKI_SECRET,
            "unit_webhook_secret": UNIT_SECRET,
        }

    def notifier_env(self) -> dict[str, str]:
        """The same settings as a notifier process's `NOTIFIER_*` environment."""
        return {f"NOTIFIER_{k.upper()}": str(v) for k, v in self.notifier_settings().items()}
