"""The bot wired to the Slack and Gencove stand-ins over loopback, for tests.

`BotUnderTest` runs the real Bolt app inside our real aiohttp web app on 127.0.0.1 and
plays Slack toward it with signed requests, the way Slack does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from invite_bot.app import Bot, build_app, build_bot
from invite_bot.config.settings import Settings, load_settings
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import (
    FakeSlack,
    SlackDelivery,
    block_action_body,
    deliver,
    slash_command_body,
    view_submission_body,
)
from invite_bot.slack.http import web_app
from invite_bot.store import Store

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-bot-token-abcdef"
SECRET_KEY = Fernet.generate_key().decode()
ADMIN = "U0ADMIN01"
OUTSIDER = "U0OUTSID1"


def bot_environment(
    gencove: FakeGencove, slack: FakeSlack, database_url: str, **extra: str
) -> dict[str, str]:
    """The environment a bot process needs to talk to the stand-ins."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "GENCOVE_API_KEY": gencove.org_api_key,
        "GENCOVE_API_URL": gencove.url,
        "GENCOVE_TIMEOUT": "2",
        "GENCOVE_CONNECT_TIMEOUT": "1",
        "DATABASE_URL": database_url,
        "INVITE_BOT_SECRET_KEY": SECRET_KEY,
        "INVITE_ADMINS": ADMIN,
        "WATCH_INTERVAL": "0.2",
    }
    env.update(extra)
    return env


def settings_for(env: Mapping[str, str]) -> Settings:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return load_settings(env_file=None)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class BotUnderTest:
    bot: Bot
    url: str
    slack: FakeSlack
    gencove: FakeGencove
    session: aiohttp.ClientSession

    @property
    def store(self) -> Store:
        return self.bot.store

    async def command(
        self, text: str, *, user: str = ADMIN, channel: str = "C_GENERAL", **kwargs: Any
    ) -> tuple[SlackDelivery, str]:
        """Send `/gencove text`; returns the HTTP answer and the command's response_url."""
        response_url = self.slack.new_response_url()
        body = slash_command_body(
            text,
            user_id=user,
            channel_id=channel,
            response_url=response_url,
            trigger_id=self.slack.new_trigger_id(),
        )
        return await self.send(body, **kwargs), response_url

    async def click(self, action_id: str, **kwargs: Any) -> tuple[SlackDelivery, str]:
        response_url = self.slack.new_response_url()
        kwargs.setdefault("trigger_id", self.slack.new_trigger_id())
        kwargs.setdefault("user_id", ADMIN)
        body = block_action_body(action_id, response_url=response_url, **kwargs)
        return await self.send(body), response_url

    async def submit(
        self, callback_id: str, values: dict[str, Any], **kwargs: Any
    ) -> SlackDelivery:
        kwargs.setdefault("user_id", ADMIN)
        return await self.send(view_submission_body(callback_id, values, **kwargs))

    async def settled(self, timeout: float = 10.0) -> None:
        """Wait until the work every listener started after its ack has finished."""
        at_work = self.bot.guard.listeners_at_work()
        if at_work:
            await asyncio.wait_for(asyncio.gather(*at_work, return_exceptions=True), timeout)

    async def posted_results(self, count: int = 1) -> list[Any]:
        """Wait for `count` result messages, each one posted AND recorded by the bot.

        The bot records where it posted just after Slack answers; a click in between
        would (correctly) take the response_url path, which a test must not race into.
        """
        slack = self.slack
        await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) >= count)
        posts = slack.calls_to("chat.postMessage")
        for call in posts:
            response = call.response or {}
            if not response.get("ok"):
                continue
            for _ in range(500):
                if await self._job_at(str(response["channel"]), str(response["ts"])):
                    break
                await asyncio.sleep(0.01)
        return posts

    async def _job_at(self, channel: str, ts: str) -> bool:
        return await self.store.read(lambda tx: tx.jobs.for_message(channel, ts)) is not None

    async def send(self, body: bytes, **kwargs: Any) -> SlackDelivery:
        return await deliver(self.session, self.url, body, SIGNING_SECRET, **kwargs)


@contextlib.asynccontextmanager
async def running_bot(
    gencove: FakeGencove, slack: FakeSlack, database_url: str, **env: str
) -> AsyncIterator[BotUnderTest]:
    settings = settings_for(bot_environment(gencove, slack, database_url, **env))
    store = await Store.open(settings.database_url)
    bot = build_bot(settings, store)
    identity = dict((await bot.slack.auth_test()).data)  # type: ignore[arg-type]
    app = build_app(bot, identity)
    runner = web.AppRunner(web_app(app, store))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as session:
        under_test = BotUnderTest(
            bot, f"http://127.0.0.1:{port}/slack/events", slack, gencove, session
        )
        try:
            yield under_test
        finally:
            await runner.cleanup()
            await bot.guard.drain(bot.jobs.holding.tasks)
            await bot.gencove.close()
            if bot.slack.session:
                await bot.slack.session.close()
            await store.close()


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"


async def terminate(process: asyncio.subprocess.Process, *, timeout: float = 20) -> None:
    """SIGTERM a test's bot process and wait for it; SIGKILL it if it does not stop."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
