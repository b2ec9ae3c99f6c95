"""A producer the broker refuses for good is replaced: the publisher renews it and goes on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aduan_devstack.kafka import ensure_topics_async
from aduan_shared.events import ALL_DLQ_TOPICS, ALL_TOPICS, StatusAsked
from aduan_shared.kafka import EventPublisher, create_broker
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.settings import KafkaSettings
from aiokafka.errors import OutOfOrderSequenceNumber

pytestmark = pytest.mark.integration


def asked() -> StatusAsked:
    return StatusAsked(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        report_id=uuid.uuid4(),
        correlation_id="renewal",
        tracking_code=None,
        found=False,
        channel="sms_whatsapp",
        external_id=f"renewal-{uuid.uuid4()}",
        asked_at=datetime.now(UTC),
    )


async def test_an_out_of_order_producer_is_renewed_and_the_next_publish_succeeds(
    servers: Any,
) -> None:
    await ensure_topics_async(servers.kafka_bootstrap, [*ALL_TOPICS, *ALL_DLQ_TOPICS])
    settings = KafkaSettings.model_validate({"KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap})
    metrics = ServiceMetrics("renewal-test")
    broker = create_broker(settings, "renewal-test", metrics)
    publisher = EventPublisher(broker, [StatusAsked], metrics)
    await broker.start()
    try:
        await publisher.publish(asked())
        config: Any = broker.config
        before = config.producer._producer.producer
        # What aiokafka raises for good once its sequence numbers fell out of step with the
        # broker's (aio-libs/aiokafka#1017): the publisher renews the producer.
        original = before.send

        async def refused(*args: Any, **kwargs: Any) -> Any:
            raise OutOfOrderSequenceNumber()

        before.send = refused
        with pytest.raises(Exception, match="did not acknowledge"):
            await publisher.publish(asked())
        after = config.producer._producer.producer
        assert after is not before
        await publisher.publish(asked())  # the new producer is accepted
        before.send = original
    finally:
        await broker.stop()
