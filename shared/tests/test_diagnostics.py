from __future__ import annotations

import asyncio
import os

from aduan_shared.diagnostics import DUMP_SIGNAL, await_chain, install_task_dump
from structlog.testing import capture_logs


async def waits_for(event: asyncio.Event) -> None:
    await event.wait()


async def outer(event: asyncio.Event) -> None:
    await waits_for(event)


async def test_the_chain_names_every_coroutine_a_suspended_task_waits_in() -> None:
    event = asyncio.Event()
    task = asyncio.create_task(outer(event), name="stuck")
    await asyncio.sleep(0)
    chain = await_chain(task.get_coro())
    assert [line.rsplit(" in ", 1)[1] for line in chain] == ["outer", "waits_for", "wait"]
    assert chain[0].startswith(__file__)
    event.set()
    await task


async def test_the_signal_logs_every_task_with_what_it_awaits() -> None:
    loop = asyncio.get_running_loop()
    install_task_dump(loop)
    event = asyncio.Event()
    task = asyncio.create_task(outer(event), name="stuck-consumer")
    try:
        with capture_logs() as logs:
            os.kill(os.getpid(), DUMP_SIGNAL)
            for _ in range(100):  # the handler runs in the loop, soon after the signal
                if logs:
                    break
                await asyncio.sleep(0.01)
        dump = [e for e in logs if e["event"] == "task_dump"]
        stacks = {e["task"]: e for e in logs if e["event"] == "task_stack"}
        assert dump and dump[0]["tasks"] == len(stacks)
        assert "stuck-consumer" in stacks
        assert stacks["stuck-consumer"]["done"] is False
        assert any("in waits_for" in line for line in stacks["stuck-consumer"]["awaits"])
    finally:
        loop.remove_signal_handler(DUMP_SIGNAL)
        event.set()
        await task
