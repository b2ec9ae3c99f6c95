"""Consumer lag: the arithmetic, the groups a broker's subscribers name, and the gauges."""

from __future__ import annotations

from aduan_shared.consumer_lag import (
    ConsumerLag,
    LagGauges,
    Reading,
    Subscription,
    partition_lags,
    subscriptions,
    topic_partitions,
    topic_sizes,
)
from aduan_shared.kafka import subscriber_options
from aduan_shared.metrics import ServiceMetrics
from aduan_shared.settings import KafkaSettings
from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker, KafkaRouter

A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


def test_lag_is_end_minus_committed() -> None:
    assert partition_lags({A0: 0, A1: 0}, {A0: 10, A1: 4}, {A0: 7, A1: 4}) == {A0: 3, A1: 0}


def test_a_partition_never_committed_counts_from_its_first_offset() -> None:
    # -1: the group has no offset there (list_consumer_group_offsets); absent: the same.
    assert partition_lags({A0: 5, A1: 0}, {A0: 12, A1: 3}, {A0: -1}) == {A0: 7, A1: 3}


def test_a_committed_offset_deleted_by_retention_counts_from_the_first_kept() -> None:
    assert partition_lags({A0: 50}, {A0: 60}, {A0: 20}) == {A0: 10}


def test_lag_is_never_negative() -> None:
    assert partition_lags({A0: 0}, {A0: 5}, {A0: 9}) == {A0: 0}


def test_topic_sizes_sum_partitions() -> None:
    assert topic_sizes({A0: 2, A1: 0}, {A0: 5, A1: 4, B0: 0}) == {"a": 7, "b": 0}


def test_partitions_come_from_the_metadata_answer_and_a_missing_topic_has_none() -> None:
    described = [
        {"error_code": 0, "topic": "a", "partitions": [{"partition": 1}, {"partition": 0}]},
        {"error_code": 3, "topic": "gone", "partitions": []},  # UNKNOWN_TOPIC_OR_PARTITION
        {"error_code": 0, "topic": "b", "partitions": [{"partition": 0}]},
    ]
    assert topic_partitions(described) == [A0, A1, B0]


def test_subscriptions_are_the_groups_of_the_broker_subscribers() -> None:
    broker = KafkaBroker("127.0.0.1:1")
    router = KafkaRouter()

    @router.subscriber("report.routed", **subscriber_options("disposition"))
    async def routed(body: dict[str, str]) -> None: ...

    @router.subscriber("report.status-changed", **subscriber_options("disposition"))
    async def changed(body: dict[str, str]) -> None: ...

    @router.subscriber("sla.breached", group_id="aduan-other")
    async def breached(body: dict[str, str]) -> None: ...

    @router.subscriber("tracking")  # no group: nothing committed, no lag
    async def live(body: dict[str, str]) -> None: ...

    broker.include_router(router)
    assert subscriptions(broker.subscribers) == [
        Subscription("aduan-disposition", ("report.routed", "report.status-changed")),
        Subscription("aduan-other", ("sla.breached",)),
    ]


async def test_a_broker_without_subscribers_measures_nothing() -> None:
    metrics = ServiceMetrics("probe")
    lag = ConsumerLag(KafkaBroker("127.0.0.1:1"), KafkaSettings(), metrics)
    await lag.start()
    await lag.stop()
    assert lag.subscriptions == []
    names = {m.name for m in metrics.registry.collect()}
    assert not any("consumer_lag" in n or "dlq" in n for n in names)


def test_gauges_follow_readings_and_drop_vanished_partitions() -> None:
    metrics = ServiceMetrics("probe")
    gauges = LagGauges(metrics)
    sample = metrics.registry.get_sample_value
    gauges.set(
        Reading({("g", "a", 0): 3, ("g", "a", 1): 0}, {"a.dlq": 2}),
        now=1_700_000_000.0,
    )
    assert sample("aduan_probe_consumer_lag", {"group": "g", "topic": "a", "partition": "0"}) == 3
    assert sample("aduan_probe_consumer_lag", {"group": "g", "topic": "a", "partition": "1"}) == 0
    assert sample("aduan_probe_dlq_messages", {"topic": "a.dlq"}) == 2
    assert sample("aduan_probe_consumer_lag_checked_timestamp_seconds") == 1_700_000_000.0
    gauges.set(Reading({("g", "a", 0): 1}, {"a.dlq": 5}), now=1_700_000_010.0)
    assert sample("aduan_probe_consumer_lag", {"group": "g", "topic": "a", "partition": "0"}) == 1
    assert (
        sample("aduan_probe_consumer_lag", {"group": "g", "topic": "a", "partition": "1"}) is None
    )
    assert sample("aduan_probe_dlq_messages", {"topic": "a.dlq"}) == 5


def test_the_interval_comes_from_the_settings() -> None:
    settings = KafkaSettings.model_validate({"KAFKA_LAG_INTERVAL_S": 2.5})
    assert settings.kafka_lag_interval_s == 2.5
