"""Units' webhooks (contacts.yaml): `POST {url}`, signed `X-Aduan-Signature`.

The body carries the report's tracking code, the template and the text: a unit message is
built from unit templates only, so it holds nothing about the reporter.
"""

from __future__ import annotations

from collections.abc import Mapping

from aduan_notifier.senders.base import HttpClient, Outbound, json_body, post_signed


class UnitWebhookSender:
    def __init__(self, client: HttpClient, secret: str) -> None:
        self._client, self._secret = client, secret

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        body = json_body(
            {
                "delivery_id": message.key,
                "unit_id": message.recipient,
                "report_id": message.report_id,
                "tracking_code": message.tracking_code,
                "template": message.template,
                "message": message.text,
            }
        )
        await post_signed(self._client, address["url"], self._secret, body, message.key)
