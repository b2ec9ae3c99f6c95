"""What every sender shares: the outbound message, the kinds of failure, HTTP and HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

SIGNATURE_HEADER = "X-Aduan-Signature"


@dataclass(frozen=True)
class Outbound:
    """One message to send. `key` (the delivery id) lets a provider drop a repeated request."""

    key: str
    text: str
    subject: str
    template: str
    report_id: str
    tracking_code: str | None = None
    recipient: str = ""  # the unit id for unit messages; empty for reporters


class SendFailed(Exception):
    """Base of the failures of one attempt; `detail` is safe to record (no contact data)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Transient(SendFailed):
    """Worth retrying: the provider refused (5xx, 429, SMTP 4xx) or was never reached (no
    connection, no free connection in time)."""


class Unknown(SendFailed):
    """The request may have reached the provider (a timeout or a connection cut after it was
    sent): resending could deliver the message twice, so it is final (at most once)."""


class Permanent(SendFailed):
    """Retrying will not help: a 4xx (bad address, bad credentials), SMTP 5xx."""


class Sender(Protocol):
    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        """Deliver `message`; raise Transient or Permanent when it was not accepted."""
        ...


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, body)>`, the Aduan webhook signature."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def json_body(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class HttpClient:
    """The providers' HTTP client: one aiohttp session, its connections kept alive and shared by
    every sender, made at the first request (a session belongs to the running event loop).

    aiohttp, not httpx: the notifier sends a few messages per report, and httpx spent 1.0 CPU
    ms on a POST alone and 1.6-2.7 ms with 8-32 at once, against 0.15-0.3 ms for this client
    (`make bench --only http`). `timeout_s` bounds a whole request; getting a connection (a new
    one, or a free one from the pool) may take half of it.
    """

    def __init__(self, timeout_s: float, max_connections: int = 100) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_s, connect=timeout_s / 2)
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_connections, keepalive_timeout=5),
                timeout=self.timeout,
                raise_for_status=False,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def post(
    client: HttpClient,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None = None,
) -> int:
    """POST and classify: 2xx returns the status; 429, 5xx and a request that never left (no
    connection, or none free in time) are Transient; a timeout or a cut once the request may
    have gone is Unknown; other statuses (redirects included) Permanent. Response bodies are
    read and dropped, never recorded (a provider may echo the address)."""
    try:
        async with client.session().post(
            url,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            params=params,
            allow_redirects=False,
        ) as response:
            status = response.status
            await response.read()  # so the connection goes back to the pool
    except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as exc:
        raise Transient(f"not sent: {type(exc).__name__}") from exc
    except (TimeoutError, aiohttp.ClientError) as exc:  # read timeout, cut, bad answer
        raise Unknown(f"may have been sent: {type(exc).__name__}") from exc
    if 200 <= status < 300:
        return status
    if status == 429 or status >= 500:
        raise Transient(f"http {status}")
    raise Permanent(f"http {status}")


async def post_signed(client: HttpClient, url: str, secret: str, body: bytes, key: str) -> int:
    """`post` with the Aduan webhook signature (`X-Aduan-Signature`) and `Idempotency-Key: key`,
    as the JAKI backend and the units' webhooks take it."""
    headers = {SIGNATURE_HEADER: sign(secret, body), "Idempotency-Key": key}
    return await post(client, url, body=body, headers=headers)
