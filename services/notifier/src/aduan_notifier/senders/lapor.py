"""LAPOR! SP4N status push: `POST {url}/complaints/{tracking_id}/followups`, `X-Api-Key`.

LAPOR! shows the follow-up on the complaint it sent us, so the address is its own tracking id.
"""

from __future__ import annotations

from collections.abc import Mapping

from aduan_notifier.senders.base import HttpClient, Outbound, json_body, post


class LaporSender:
    def __init__(self, client: HttpClient, url: str, api_key: str) -> None:
        self._client, self._url, self._key = client, url.rstrip("/"), api_key

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        body = json_body(
            {
                "tracking_id": address["external_id"],
                "aduan_tracking_code": message.tracking_code,
                "status": message.template,
                "message": message.text,
                "followup_id": message.key,
            }
        )
        url = f"{self._url}/complaints/{address['external_id']}/followups"
        await post(self._client, url, body=body, headers={"X-Api-Key": self._key})
