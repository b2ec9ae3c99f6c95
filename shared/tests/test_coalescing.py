"""How aduan_shared.coalescing groups calls into turns (the database side is tested on the real
server in tests/integration/test_stores.py)."""

import asyncio
from typing import Any

import pytest
from aduan_shared.coalescing import _Coalescer


class Echo(_Coalescer):
    """Answers each call with its item doubled; an item "bad" with its own error; records the
    turns it was sent."""

    def __init__(self, down: bool = False, in_flight: int = 1) -> None:
        super().__init__(in_flight)
        self.turns: list[list[Any]] = []
        self.down = down

    async def _send(self, items: list[Any]) -> list[Any]:
        self.turns.append(list(items))
        await asyncio.sleep(0)  # a round trip
        if self.down:
            raise ConnectionError("server away")
        return [ValueError(item) if item == "bad" else item * 2 for item in items]

    async def call(self, item: Any) -> Any:
        return await self._queue(item)


async def test_calls_made_in_one_turn_go_together_and_each_caller_gets_its_answer() -> None:
    echo = Echo()
    answers = await asyncio.gather(*(echo.call(i) for i in range(5)))
    assert answers == [0, 2, 4, 6, 8]
    assert echo.turns == [[0, 1, 2, 3, 4]]


async def test_one_callers_calls_in_sequence_each_go_alone_and_in_order() -> None:
    echo = Echo()
    for i in (1, 2, 3):
        assert await echo.call(i) == i * 2
    assert echo.turns == [[1], [2], [3]]


async def test_callers_of_later_turns_go_in_a_later_send() -> None:
    echo = Echo()

    async def after_a_round_trip(item: int) -> Any:
        await asyncio.sleep(0.01)
        return await echo.call(item)

    answers = await asyncio.gather(echo.call(1), echo.call(2), after_a_round_trip(3))
    assert answers == [2, 4, 6]
    assert echo.turns == [[1, 2], [3]]


async def test_a_statements_error_reaches_its_caller_only() -> None:
    echo = Echo()
    answers = await asyncio.gather(
        echo.call("a"), echo.call("bad"), echo.call("c"), return_exceptions=True
    )
    assert answers[0] == "aa" and answers[2] == "cc"
    assert isinstance(answers[1], ValueError)


async def test_a_failed_send_reaches_every_caller_and_the_next_turn_goes_on() -> None:
    echo = Echo(down=True)
    answers = await asyncio.gather(echo.call(1), echo.call(2), return_exceptions=True)
    assert [type(a) for a in answers] == [ConnectionError, ConnectionError]
    echo.down = False
    assert await echo.call(3) == 6


async def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    echo = Echo()
    first = asyncio.create_task(echo.call(1))
    second = asyncio.create_task(echo.call(2))
    await asyncio.sleep(0)  # both queued
    first.cancel()
    assert await second == 4
    with pytest.raises(asyncio.CancelledError):
        await first
    assert echo.turns == [[1, 2]]


class Slow(Echo):
    """Echo whose sends take until `release` is set, so calls pile up behind one out."""

    def __init__(self, in_flight: int = 1) -> None:
        super().__init__(in_flight=in_flight)
        self.release = asyncio.Event()
        self.out = 0
        self.most_out = 0

    async def _send(self, items: list[Any]) -> list[Any]:
        self.turns.append(list(items))
        self.out += 1
        self.most_out = max(self.most_out, self.out)
        await self.release.wait()
        self.out -= 1
        if "bad send" in items:
            raise ConnectionError("server away")
        return [item * 2 for item in items]


async def test_calls_made_while_a_send_is_out_wait_for_it_and_then_go_together() -> None:
    slow = Slow()
    first = asyncio.create_task(slow.call(1))
    await asyncio.sleep(0.01)  # the first send is out
    later = [asyncio.create_task(slow.call(i)) for i in (2, 3)]
    await asyncio.sleep(0.01)  # a later turn
    later.append(asyncio.create_task(slow.call(4)))
    await asyncio.sleep(0.01)
    assert slow.turns == [[1]]  # nothing else sent while one is out
    slow.release.set()
    assert await first == 2
    assert await asyncio.gather(*later) == [4, 6, 8]
    assert slow.turns == [[1], [2, 3, 4]]
    assert slow.most_out == 1


async def test_in_flight_sends_go_out_at_once_up_to_the_limit() -> None:
    slow = Slow(in_flight=2)
    calls = []
    for i in (1, 2, 3, 4):
        calls.append(asyncio.create_task(slow.call(i)))
        await asyncio.sleep(0.01)  # each call in its own turn
    assert slow.turns == [[1], [2]]
    slow.release.set()
    assert await asyncio.gather(*calls) == [2, 4, 6, 8]
    assert slow.turns == [[1], [2], [3, 4]]
    assert slow.most_out == 2


async def test_the_calls_waiting_behind_a_failed_send_still_go() -> None:
    slow = Slow()
    first = asyncio.create_task(slow.call("bad send"))
    await asyncio.sleep(0.01)  # the first send is out
    second = asyncio.create_task(slow.call(2))
    await asyncio.sleep(0.01)
    slow.release.set()
    with pytest.raises(ConnectionError):
        await first
    assert await second == 4
    assert slow.turns == [["bad send"], [2]]


def test_at_least_one_send_must_be_allowed_out() -> None:
    with pytest.raises(ValueError, match="in_flight"):
        _Coalescer(in_flight=0)
