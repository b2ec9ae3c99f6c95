"""X direct message: `POST {api}/2/dm_conversations/with/{participant_id}/messages`, bearer
(the account's user-context OAuth 2.0 token)."""

from __future__ import annotations

from collections.abc import Mapping

from aduan_notifier.senders.base import HttpClient, Outbound, json_body, post


class XDmSender:
    def __init__(self, client: HttpClient, api_url: str, token: str) -> None:
        self._client, self._api, self._token = client, api_url.rstrip("/"), token

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        url = f"{self._api}/2/dm_conversations/with/{address['user_id']}/messages"
        await post(
            self._client,
            url,
            body=json_body({"text": message.text}),
            headers={"Authorization": f"Bearer {self._token}"},
        )
