"""What every sender shares: the outbound message, the two kinds of failure, HTTP and HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

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


async def post(
    client: httpx.AsyncClient,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    params: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST and classify: 2xx returns; 429, 5xx and a request that never left (no connection)
    are Transient; a timeout or a cut once the request may have gone is Unknown; other statuses
    Permanent. Response bodies are not recorded (a provider may echo the address)."""
    try:
        response = await client.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", **headers},
            params=params,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Transient(f"not sent: {type(exc).__name__}") from exc
    except httpx.TransportError as exc:  # read/write timeouts included
        raise Unknown(f"may have been sent: {type(exc).__name__}") from exc
    if response.is_success:
        return response
    status = response.status_code
    if status == 429 or status >= 500:
        raise Transient(f"http {status}")
    raise Permanent(f"http {status}")
