"""Senders' pure parts: which are configured, the e-mail's threading headers, the signature."""

import asyncio
import hashlib
import hmac
import os
import smtplib
import socket

import pytest
from aduan_notifier.app import create_senders
from aduan_notifier.config import Settings
from aduan_notifier.senders.base import (
    HttpClient,
    Outbound,
    Permanent,
    Transient,
    Unknown,
    post,
    sign,
)
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
    client = HttpClient(timeout_s=5)
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


class Provider:
    """A provider on a local socket that reads each request whole, then does `behaviour`:
    answer a status, never answer, or cut the connection."""

    def __init__(self, behaviour: str = "200") -> None:
        self.behaviour = behaviour
        self.requests: list[bytes] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/messages"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.requests.append(head + await reader.readexactly(length))
                if self.behaviour == "silent":
                    await asyncio.sleep(3600)
                if self.behaviour == "cut":
                    break
                writer.write(
                    f"HTTP/1.1 {self.behaviour} X\r\nContent-Length: 2\r\n\r\n{{}}".encode()
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/messages"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("200", None),
        ("202", None),
        ("429", Transient),  # too many requests: retried later
        ("503", Transient),
        ("400", Permanent),  # bad address or body: retrying will not help
        ("401", Permanent),
        ("302", Permanent),  # redirects are not followed
    ],
)
async def test_the_provider_s_answer_decides(status: str, kind: type[Exception] | None) -> None:
    client = HttpClient(timeout_s=5)
    try:
        async with Provider(status) as url:
            if kind is None:
                assert await post(client, url, body=b"{}", headers={"X-Key": "k"}) == int(status)
            else:
                with pytest.raises(kind):
                    await post(client, url, body=b"{}", headers={})
    finally:
        await client.aclose()


async def test_the_request_carries_the_body_the_headers_and_the_query() -> None:
    client = HttpClient(timeout_s=5)
    provider = Provider()
    try:
        async with provider as url:
            body = b'{"to":"+62812"}'
            await post(client, url, body=body, headers={"X-Key": "k"}, params={"a": "b c"})
            await post(client, url, body=body, headers={})
    finally:
        await client.aclose()
    first = provider.requests[0]
    assert first.startswith(b"POST /messages?a=b+c HTTP/1.1") or first.startswith(
        b"POST /messages?a=b%20c HTTP/1.1"
    )
    assert b"X-Key: k" in first and b"Content-Type: application/json" in first
    assert first.endswith(body)
    assert len(provider.requests) == 2  # the second went on the kept-alive connection


async def test_a_provider_that_refuses_the_connection_is_tried_again_later() -> None:
    client = HttpClient(timeout_s=5)
    try:
        with pytest.raises(Transient, match="not sent"):  # never left: safe to send again
            await post(client, closed_port_url(), body=b"{}", headers={})
    finally:
        await client.aclose()


async def test_no_free_connection_in_time_is_tried_again_later() -> None:
    client = HttpClient(timeout_s=1.0, max_connections=1)
    try:
        async with Provider("silent") as url:
            holding = asyncio.create_task(post(client, url, body=b"{}", headers={}))
            await asyncio.sleep(0.1)  # it holds the only connection, waiting for an answer
            with pytest.raises(Transient, match="not sent"):
                await post(client, url, body=b"{}", headers={})
            with pytest.raises(Unknown):
                await holding
    finally:
        await client.aclose()


@pytest.mark.parametrize("behaviour", ["silent", "cut"])
async def test_a_request_that_may_have_arrived_is_never_sent_again(behaviour: str) -> None:
    """No answer in time, or the connection cut after the request went: it may have arrived."""
    client = HttpClient(timeout_s=0.5)
    provider = Provider(behaviour)
    try:
        async with provider as url:
            with pytest.raises(Unknown, match="may have been sent"):
                await post(client, url, body=b"{}", headers={})
    finally:
        await client.aclose()
    assert len(provider.requests) == 1  # the provider had it whole


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
