"""WhatsApp Cloud API: `POST {graph}/{phone_number_id}/messages`, a text message, bearer token.

The business number is the one the citizen wrote to (kept with the contact), else the
configured one. Free-form text is accepted within 24 hours of the citizen's last message;
later, Meta answers 4xx (a pre-approved template would be needed), which is recorded `failed`.
The delivery id goes as `biz_opaque_callback_data` (Meta returns it in its status webhooks), so a
message can be traced to its delivery.
"""

from __future__ import annotations

from collections.abc import Mapping

from aduan_notifier.senders.base import HttpClient, Outbound, json_body, post


class WhatsAppSender:
    def __init__(
        self, client: HttpClient, graph_url: str, token: str, phone_number_id: str
    ) -> None:
        self._client, self._graph = client, graph_url.rstrip("/")
        self._token, self._phone_number_id = token, phone_number_id

    async def send(self, address: Mapping[str, str], message: Outbound) -> None:
        number_id = address.get("phone_number_id") or self._phone_number_id
        body = json_body(
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": address["wa_id"],
                "type": "text",
                "text": {"preview_url": False, "body": message.text},
                "biz_opaque_callback_data": message.key,
            }
        )
        url = f"{self._graph}/{number_id}/messages"
        await post(self._client, url, body=body, headers={"Authorization": f"Bearer {self._token}"})
