"""SMS through the gateway's HTTP API: `POST {url}` `{to, text, client_ref}`, bearer API key."""

from __future__ import annotations

from collections.abc import Mapping

from aduan_notifier.senders.base import HttpClient, Outbound, json_body, post


class SmsSender:
    def __init__(self, client: HttpClient, url: str, api_key: str) -> None:
        self._client, self._url, self._key = client, url, api_key

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        # `client_ref` lets the gateway drop a repeat of a request whose answer we lost.
        body = json_body({"to": address["phone"], "text": message.text, "client_ref": message.key})
        await post(
            self._client, self._url, body=body, headers={"Authorization": f"Bearer {self._key}"}
        )
