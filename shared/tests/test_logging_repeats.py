from __future__ import annotations

import logging

from aduan_shared.logging import RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(name: str, msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_a_kafka_line_repeated_within_the_window_is_held_back_and_counted() -> None:
    clock = Clock()
    repeats = RepeatFilter(window_s=10, clock=clock)
    template = "Unable connect to node with id %s: %s"
    assert repeats.filter(record("aiokafka", template, 1, "refused"))
    for step in range(1, 100):  # every 100 ms for ten seconds
        clock.now = step / 10
        assert not repeats.filter(record("aiokafka", template, 1, "refused"))
    clock.now = 10.0
    after = record("aiokafka", template, 1, "refused")
    assert repeats.filter(after)
    assert (
        after.getMessage()
        == "Unable connect to node with id 1: refused [99 more like this held back]"
    )
    clock.now = 25.0  # quiet since: nothing held back to report
    again = record("aiokafka", template, 1, "refused")
    assert repeats.filter(again)
    assert again.getMessage() == "Unable connect to node with id 1: refused"


def test_different_lines_levels_and_loggers_are_counted_apart() -> None:
    repeats = RepeatFilter(window_s=10, clock=Clock())
    assert repeats.filter(record("aiokafka", "Unable to update metadata from %s", [1]))
    assert repeats.filter(record("aiokafka", "Unable connect to node with id %s: %s", 1, "x"))
    assert repeats.filter(
        record("aiokafka.consumer.fetcher", "Unable to update metadata from %s", [1])
    )
    assert repeats.filter(
        record("aiokafka", "Unable to update metadata from %s", [1], level=logging.WARNING)
    )
    assert not repeats.filter(record("aiokafka", "Unable to update metadata from %s", [2]))


def test_the_services_own_lines_are_never_held_back() -> None:
    repeats = RepeatFilter(window_s=10, clock=Clock())
    for _ in range(5):
        assert repeats.filter(record("aduan_geo_router.handlers", "report_routed"))
        assert repeats.filter(record("uvicorn.error", "Started server process"))
