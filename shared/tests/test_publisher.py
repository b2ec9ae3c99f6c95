"""EventPublisher's refusals: whatever keeps the broker from acknowledging is PublishFailed (a
503 for the HTTP caller, a retry for a consumer), never an unexpected error (a 500)."""

import uuid
from datetime import UTC, datetime

import pytest
from aduan_shared.events import ReportReceived
from aduan_shared.kafka import EventPublisher, PublishFailed
from aduan_shared.metrics import ServiceMetrics
from faststream.kafka import KafkaBroker


def received() -> ReportReceived:
    return ReportReceived.model_validate(
        {
            "event_id": str(uuid.uuid4()),
            "occurred_at": datetime(2026, 11, 23, tzinfo=UTC).isoformat(),
            "report_id": str(uuid.uuid4()),
            "correlation_id": "c",
            "channel": "jaki",
            "external_id": "x-1",
            "tracking_code": "JKT-7K3M9Q2X",
            "submitted_at": datetime(2026, 11, 23, tzinfo=UTC).isoformat(),
            "description": "Jalan berlubang",
            "visibility": "public",
        }
    )


async def test_a_publish_without_a_producer_is_refused_as_publish_failed() -> None:
    """After a broker restart the producer is replaced; a request arriving in between met
    faststream's IncorrectState and answered 500 in make bench's fault run."""
    broker = KafkaBroker("127.0.0.1:9")  # never started: no producer, as during a renewal
    publisher = EventPublisher(broker, [ReportReceived], ServiceMetrics("publisher-test"))
    with pytest.raises(PublishFailed):
        await publisher.publish(received())
