"""Waiting for something the bot does, never for a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from invite_bot.playground.slack import FakeSlack
from tests.support.processes import WatcherProcess


async def until(predicate: Callable[[], Any], timeout: float = 20.0) -> None:
    """Poll `predicate` until truthy; AssertionError after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


async def responses(slack: FakeSlack, url: str, count: int = 1) -> list[dict[str, Any]]:
    """The posts to `url` (a response_url), once there are at least `count`."""
    await slack.wait_for(lambda: len(slack.response_posts(url)) >= count)
    return slack.response_posts(url)


async def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, *logs: WatcherProcess
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {w.name}\n{w.output()[-3000:]}" for w in logs)
            raise AssertionError(f"timed out waiting for {what}\n{tails}")
        await asyncio.sleep(0.02)
