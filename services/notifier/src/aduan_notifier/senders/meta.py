"""Facebook Messenger / Instagram: the Send API, `POST {graph}/{page_id}/messages` with the page
access token (`access_token` query parameter), to the page-scoped id the citizen wrote from.

`messaging_type` is RESPONSE: Meta accepts it within 24 hours of the citizen's last message;
later updates are refused with a 4xx and recorded `failed` (message tags are not used).
"""

from __future__ import annotations

from collections.abc import Mapping

from aduan_notifier.senders.base import HttpClient, Outbound, json_body, post


class MetaSender:
    def __init__(self, client: HttpClient, graph_url: str, token: str, page_id: str) -> None:
        self._client, self._graph = client, graph_url.rstrip("/")
        self._token, self._page_id = token, page_id

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        page = address.get("page_id") or self._page_id
        body = json_body(
            {
                "recipient": {"id": address["recipient_id"]},
                "messaging_type": "RESPONSE",
                "message": {"text": message.text},
            }
        )
        await post(
            self._client,
            f"{self._graph}/{page}/messages",
            body=body,
            headers={},
            params={"access_token": self._token},
        )
