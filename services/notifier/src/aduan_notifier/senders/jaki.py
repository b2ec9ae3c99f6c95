"""JAKI push through the app backend's webhook: `POST {url}`, signed `X-Aduan-Signature`.

The backend knows the citizen by its own report id (the report's `external_id`) and shows the
push in the app; `user_id` is the JAKI user id when the backend sent one with the report.
"""

from __future__ import annotations

from collections.abc import Mapping

from aduan_notifier.senders.base import HttpClient, Outbound, json_body, post_signed


class JakiSender:
    def __init__(self, client: HttpClient, url: str, secret: str) -> None:
        self._client, self._url, self._secret = client, url, secret

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        body = json_body(
            {
                "jaki_report_id": address["external_id"],
                "user_id": address.get("citizen_id") or address.get("handle"),
                "tracking_code": message.tracking_code,
                "template": message.template,
                "title": message.subject,
                "message": message.text,
                "delivery_id": message.key,
            }
        )
        await post_signed(self._client, self._url, self._secret, body, message.key)
