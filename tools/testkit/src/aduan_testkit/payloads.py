"""Channel payloads as the real senders shape them, for tests of intake's webhooks."""

from __future__ import annotations

from typing import Any


def whatsapp_text(
    text: str,
    *,
    message_id: str = "wamid.AAA",
    sender: str = "6281234567890",
    name: str = "Siti",
    timestamp: str = "1795400000",
) -> dict[str, Any]:
    """A WhatsApp Cloud API webhook carrying one text message."""
    message = {
        "from": sender,
        "id": message_id,
        "timestamp": timestamp,
        "type": "text",
        "text": {"body": text},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": "111"},
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
