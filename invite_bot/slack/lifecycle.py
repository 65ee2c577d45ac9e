"""Letting work that started after an `ack()` finish before the process stops.

Bolt runs each listener as a task of its own once the request is acknowledged; stopping
the event loop under it would cut an invite or a revoke half-way. `drain()` waits for
those tasks (and the bot's own background tasks) for a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

_BOLT_LISTENER = "run_ack_function_asynchronously"  # slack_bolt.listener.asyncio_runner


def listener_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks()
        if task is not current
        and not task.done()
        and _BOLT_LISTENER in getattr(task.get_coro(), "__qualname__", "")
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
