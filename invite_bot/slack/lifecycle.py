"""Letting work that started after an `ack()` finish before the process stops.

Bolt runs each listener as a task of its own and answers Slack as soon as the listener
calls `ack()`; stopping the event loop under it would cut an invite or a revoke half-way.
Every listener the bot registers runs inside `in_flight()` (guard.py does it), so the
listener tasks are known without relying on how Bolt names its internals, and `drain()`
waits for those (and the bot's own background tasks) for a bounded time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

log = logging.getLogger(__name__)

# Process-wide, as the event loop's own task list is; a task of a finished loop drops out.
_running: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()


@contextlib.contextmanager
def in_flight() -> Iterator[None]:
    """Mark the current task as a listener at work until the block ends."""
    task = asyncio.current_task()
    if task is None:
        yield
        return
    _running.add(task)
    try:
        yield
    finally:
        _running.discard(task)


def listener_tasks() -> list[asyncio.Task[Any]]:
    """Listener tasks of this event loop still at work (never the caller's own task)."""
    current = asyncio.current_task()
    loop = asyncio.get_running_loop()
    return [
        task
        for task in list(_running)
        if task is not current and not task.done() and task.get_loop() is loop
    ]


async def drain(extra: Iterable[asyncio.Task[Any]] = (), *, grace: float = 10.0) -> None:
    """Wait up to `grace` seconds for in-flight listeners; cancel what is left."""
    tasks = {*listener_tasks(), *(t for t in extra if not t.done())}
    if not tasks:
        return
    _done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        task.cancel()
    if pending:
        log.warning("stopped with %d requests unfinished", len(pending))
        await asyncio.gather(*pending, return_exceptions=True)
