"""Where a running service waits: `kill -USR1 <pid>` logs every asyncio task and its stack.

A service that is up but does no work (a consumer waiting on something that never comes) shows
nothing in a thread dump: its one thread idles in the event loop. The coroutines' own stacks say
what each task awaits. Each task is one `task_stack` log line (its name, whether it is done,
and the coroutines it is suspended in, outermost first), so the dump goes wherever the
service's logs go.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Any

from aduan_shared.logging import get_logger

log = get_logger(__name__)

#: The signal that asks for a dump.
DUMP_SIGNAL = signal.SIGUSR1


def await_chain(awaitable: Any) -> list[str]:
    """`file:line in function` of each coroutine in the chain `awaitable` awaits, outermost
    first. (`Task.get_stack` gives a suspended coroutine's outermost frame only.)"""
    frames: list[str] = []
    seen: set[int] = set()
    while awaitable is not None and id(awaitable) not in seen:
        seen.add(id(awaitable))
        frame = (
            getattr(awaitable, "cr_frame", None)
            or getattr(awaitable, "gi_frame", None)
            or getattr(awaitable, "ag_frame", None)
        )
        if frame is not None:
            code = frame.f_code
            frames.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        elif isinstance(awaitable, asyncio.Future):  # a task or future awaited directly
            frames.append(f"awaiting {awaitable!r}"[:300])
        awaitable = (
            getattr(awaitable, "cr_await", None)
            or getattr(awaitable, "gi_yieldfrom", None)
            or getattr(awaitable, "ag_await", None)
        )
    return frames


def task_stacks() -> list[dict[str, object]]:
    """Every task of the running loop: its name, whether it is done, and the chain of
    coroutines it is suspended in (outermost first)."""
    return [
        {"task": task.get_name(), "done": task.done(), "awaits": await_chain(task.get_coro())}
        for task in sorted(asyncio.all_tasks(), key=lambda t: t.get_name())
    ]


def log_task_stacks() -> None:
    stacks = task_stacks()
    log.warning("task_dump", tasks=len(stacks))
    for entry in stacks:
        log.warning("task_stack", **entry)


def install_task_dump(loop: asyncio.AbstractEventLoop) -> None:
    """Log `task_stacks()` whenever the process receives `DUMP_SIGNAL`. Only a loop in the
    main thread can have signal handlers (an app under a test client runs in another): there
    this does nothing."""
    if threading.current_thread() is threading.main_thread():
        loop.add_signal_handler(DUMP_SIGNAL, log_task_stacks)
