"""Every final outcome as a `NotificationSent` event; a delivery that gave up also as a message
on the notifier's dead-letter topic (`<notification.sent topic>.dlq`, no contact data in it)."""

from __future__ import annotations

import asyncio
import json
import uuid

from aduan_shared.events import NOTIFICATION_SENT, NotificationSent, derive_id, dlq_topic, utcnow
from aduan_shared.kafka import Publisher, PublishFailed
from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker

from aduan_notifier.adapters.deliveries import Delivery

#: Where deliveries that gave up go: the dead-letter topic of the notifier's own output.
GAVE_UP_TOPIC = dlq_topic(NOTIFICATION_SENT)


def outcome_event(delivery: Delivery) -> NotificationSent:
    """The event of a final delivery; its id derives from the delivery, so a republish is an
    exact duplicate."""
    return NotificationSent(
        event_id=derive_id(delivery.id, "outcome"),
        occurred_at=delivery.finished_at or utcnow(),
        report_id=uuid.UUID(delivery.report_id),
        correlation_id=delivery.correlation_id or f"notifier-{delivery.id}",
        recipient_kind="unit" if delivery.recipient_kind == "unit" else "reporter",
        channel=delivery.channel or "none",
        template=delivery.template,
        outcome=delivery.outcome if delivery.outcome in ("sent", "gave_up") else "failed",
        attempts=delivery.attempts,
    )


def dead_letter_body(delivery: Delivery) -> bytes:
    """What the DLQ keeps of a delivery that gave up: references, never contacts."""
    return json.dumps(
        {
            "delivery_id": delivery.id,
            "report_id": delivery.report_id,
            "source_event_id": delivery.event_id,
            "source_topic": delivery.topic,
            "recipient_kind": delivery.recipient_kind,
            "recipient": delivery.recipient,
            "channel": delivery.channel,
            "template": delivery.template,
            "attempts": delivery.attempts,
            "error": delivery.error,
        }
    ).encode()


class OutcomePublisher:
    def __init__(self, publisher: Publisher, broker: KafkaBroker, timeout_s: float) -> None:
        self._publisher, self._broker, self._timeout_s = publisher, broker, timeout_s

    async def publish(self, delivery: Delivery) -> None:
        """Publish the outcome (and the dead letter of a delivery that gave up); raise
        PublishFailed when the broker does not acknowledge."""
        if delivery.outcome == "gave_up":
            headers = {
                "content-type": "application/json",
                "dlq_error": delivery.error or "gave_up",
                "dlq_error_type": "GaveUp",
                "dlq_source_topic": delivery.topic,
            }
            try:
                await asyncio.wait_for(
                    self._broker.publish(
                        dead_letter_body(delivery),
                        topic=GAVE_UP_TOPIC,
                        key=delivery.report_id.encode(),
                        headers=headers,
                        correlation_id=delivery.correlation_id or None,
                    ),
                    self._timeout_s,
                )
            except (KafkaError, TimeoutError, OSError) as exc:
                raise PublishFailed("the broker did not acknowledge the dead letter") from exc
        await self._publisher.publish(outcome_event(delivery))
