"""Slow clients against the real `invite-bot serve` process with a modest descriptor
limit: 250 connections trickling one header byte a second are dropped within seconds,
running out of descriptors is logged once, and meanwhile /healthz answers and another
person's command is acknowledged within Slack's 3 s."""

from __future__ import annotations

import asyncio
import resource
import time
from pathlib import Path

import aiohttp

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, deliver, slash_command_body
from tests.support.harness import ADMIN, SIGNING_SECRET, bot_environment, sqlite_url
from tests.support.processes import start_bot_process, stop_bot_process

SLOW_CLIENTS = 250
DESCRIPTORS = 200  # the bot process's RLIMIT_NOFILE


def few_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


async def trickle(port: int, stop: asyncio.Event) -> float | None:
    """A client sending its request one header byte a second; when the bot closed it
    (seconds after it connected), else None."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return None
    opened = time.monotonic()
    try:
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        while not stop.is_set():
            writer.write(b"a")
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(1024), timeout=1.0) == b"":
                    return time.monotonic() - opened
            except TimeoutError:
                continue
    except (ConnectionError, OSError):
        return time.monotonic() - opened
    finally:
        writer.close()
    return None


async def test_slow_clients_are_dropped_and_everyone_else_is_answered(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path))
    bot = await start_bot_process(env, tmp_path, "--no-watch", preexec=few_descriptors)
    port = int(bot.url.rsplit(":", 1)[1])
    stop = asyncio.Event()
    try:
        slow = [asyncio.create_task(trickle(port, stop)) for _ in range(SLOW_CLIENTS)]
        await asyncio.sleep(6)
        async with aiohttp.ClientSession() as session:
            started = time.monotonic()
            async with session.get(bot.url + "/healthz") as health:
                assert health.status == 200
            assert time.monotonic() - started < 3
            started = time.monotonic()
            body = slash_command_body("help", user_id=ADMIN, channel_id="C_GENERAL")
            answer = await deliver(session, bot.url + "/slack/events", body, SIGNING_SECRET)
            assert answer.status == 200
            assert time.monotonic() - started < 3
        closed = await asyncio.wait_for(asyncio.gather(*slow), timeout=60)
    finally:
        stop.set()
        await stop_bot_process(bot)
    dropped = [seconds for seconds in closed if seconds is not None]
    assert len(dropped) >= SLOW_CLIENTS // 2, f"{len(dropped)} dropped of {SLOW_CLIENTS}"
    assert max(dropped) < 30
    lines = bot.output().splitlines()
    assert len(lines) < 100, "\n".join(lines[:20])
    # 250 connections against 200 descriptors run out of them: said once, not per accept.
    assert len([line for line in lines if "out of file descriptors" in line]) == 1
