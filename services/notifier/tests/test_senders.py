"""Senders' pure parts: which are configured, the e-mail's threading headers, the signature."""

import hashlib
import hmac
import os
import smtplib

import httpx
import pytest
from aduan_notifier.app import create_senders
from aduan_notifier.config import Settings
from aduan_notifier.senders.base import Outbound, Transient, Unknown, post, sign
from aduan_notifier.senders.email import SmtpConfig, build_message, message_id
from aduan_notifier.senders.email import classify as classify_smtp

MESSAGE = Outbound(
    key="evt:reporter:rep-1",
    text="Laporan JKT-1 selesai.",
    subject="Laporan JKT-1",
    template="done",
    report_id="r",
    tracking_code="JKT-1",
)
SMTP = SmtpConfig(host="h", port=25, sender="Aduan <noreply@aduan.test>", domain="aduan.test")


def test_only_channels_with_endpoint_and_credential_are_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [n for n in os.environ if n.startswith("NOTIFIER_")]:
        monkeypatch.delenv(name)
    client = httpx.AsyncClient()
    bare = Settings.model_validate({})
    assert create_senders(bare, client) == {}
    some = Settings.model_validate(
        {"sms_url": "http://sms", "sms_api_key": "k", "x_bearer_token": "t", "smtp_host": "m"}
    )
    assert set(create_senders(some, client)) == {"sms", "x_dm", "email"}


def test_a_reply_by_mail_is_threaded_to_the_reporter_s_message() -> None:
    mail = build_message(SMTP, {"email": "warga@example.org", "in_reply_to": "m-1@ex.org"}, MESSAGE)
    assert mail["In-Reply-To"] == "<m-1@ex.org>" and mail["References"] == "<m-1@ex.org>"
    assert mail["Subject"] == "Re: Laporan JKT-1"
    assert mail["Message-ID"] == message_id(MESSAGE.key, "aduan.test")
    assert mail["Message-ID"] == message_id(MESSAGE.key, "aduan.test")  # stable per delivery
    assert ":" not in mail["Message-ID"]
    fresh = build_message(SMTP, {"email": "lurah@example.org"}, MESSAGE)
    assert fresh["In-Reply-To"] is None and fresh["Subject"] == "Laporan JKT-1"
    assert fresh.get_content().strip() == "Laporan JKT-1 selesai."


def test_webhook_signature_is_hmac_sha256_of_the_body() -> None:
    expected = hmac.new(b"s", b"{}", hashlib.sha256).hexdigest()
    assert sign("s", b"{}") == f"sha256={expected}"


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (httpx.ConnectError("refused"), Transient),  # never left: safe to send again
        (httpx.ConnectTimeout("no connection"), Transient),
        (httpx.PoolTimeout("no free connection"), Transient),
        (httpx.ReadTimeout("no answer"), Unknown),  # it may have arrived: never again
        (httpx.WriteTimeout("half written"), Unknown),
        (httpx.RemoteProtocolError("cut"), Unknown),
    ],
)
async def test_a_failure_is_retried_only_when_the_request_cannot_have_arrived(
    failure: Exception, kind: type[Exception]
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as client:
        with pytest.raises(kind):
            await post(client, "http://provider/messages", body=b"{}", headers={})


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (ConnectionRefusedError(), Transient),
        (smtplib.SMTPConnectError(421, b"busy"), Transient),
        (smtplib.SMTPServerDisconnected("cut"), Unknown),
        (TimeoutError(), Unknown),
    ],
)
def test_smtp_failures_before_the_message_could_arrive_are_retried(
    failure: Exception, kind: type[Exception]
) -> None:
    assert isinstance(classify_smtp(failure), kind)
