from __future__ import annotations

from aduan_shared.consumer_watch import ConsumerView, StallWatch

G = "aduan-geo-router"


def view(*, member: bool = True, behind: bool = False, batches: int = 0) -> ConsumerView:
    return ConsumerView(G, member=member, behind=behind, batches=batches)


def test_a_healthy_consumer_is_never_stalled() -> None:
    watch = StallWatch(60)
    for t in range(0, 600, 10):  # always behind under load, but a new batch every time
        assert watch.observe(view(behind=True, batches=t), float(t)) is None


def test_outside_its_group_for_the_whole_span_is_stalled() -> None:
    watch = StallWatch(60)
    assert watch.observe(view(member=False), 0.0) is None
    assert watch.observe(view(member=False), 50.0) is None  # a rebalance takes a while
    assert watch.observe(view(member=False), 60.0) == "not_a_member"


def test_joining_again_within_the_span_starts_the_count_over() -> None:
    watch = StallWatch(60)
    watch.observe(view(member=False), 0.0)
    watch.observe(view(member=True), 30.0)
    assert watch.observe(view(member=False), 40.0) is None
    assert watch.observe(view(member=False), 99.0) is None
    assert watch.observe(view(member=False), 100.0) == "not_a_member"


def test_messages_waiting_and_no_batch_for_the_whole_span_is_stalled() -> None:
    watch = StallWatch(60)
    assert watch.observe(view(behind=True, batches=7), 0.0) is None
    assert watch.observe(view(behind=True, batches=7), 59.0) is None
    assert watch.observe(view(behind=True, batches=7), 60.0) == "not_consuming"


def test_a_new_batch_or_nothing_waiting_starts_the_count_over() -> None:
    watch = StallWatch(60)
    watch.observe(view(behind=True, batches=7), 0.0)
    watch.observe(view(behind=True, batches=8), 50.0)  # it moved on
    assert watch.observe(view(behind=True, batches=8), 100.0) is None
    assert watch.observe(view(behind=True, batches=8), 110.0) == "not_consuming"
    watch.forget(G)
    watch.observe(view(behind=True, batches=8), 120.0)
    watch.observe(view(behind=False, batches=8), 130.0)  # caught up (nothing new came)
    assert watch.observe(view(behind=True, batches=8), 185.0) is None
    assert watch.observe(view(behind=True, batches=8), 245.0) == "not_consuming"


def test_an_idle_consumer_with_nothing_waiting_is_not_stalled() -> None:
    watch = StallWatch(60)
    for t in range(0, 600, 10):
        assert watch.observe(view(behind=False, batches=3), float(t)) is None


def test_forgetting_every_group_starts_every_count_over() -> None:
    watch = StallWatch(60)
    other = ConsumerView("aduan-disposition", member=False, behind=True, batches=1)
    watch.observe(view(member=False), 0.0)
    watch.observe(other, 0.0)
    watch.forget()  # a measurement failed: the broker was away
    assert watch.observe(view(member=False), 70.0) is None
    assert watch.observe(other, 70.0) is None
    assert watch.observe(other, 130.0) == "not_a_member"
