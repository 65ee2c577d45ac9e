"""`invite-bot playground`: the Gencove sandbox, a local Slack and the real bot, on 127.0.0.1.

The bot is started by `invite_bot.runtime.serving`, exactly as `invite-bot serve` starts
it, with settings that point it at the two stand-ins (`SLACK_API_URL`, `GENCOVE_API_URL`),
its own SQLite file in a temporary folder and a short watch interval. Nothing in
`invite_bot/slack/` knows it is being played with.

`sandbox_gencove()` is also what `serve|socket --gencove-sandbox` use: a real Slack
workspace in front of the embedded Gencove sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from invite_bot.config.settings import Settings, load_settings
from invite_bot.playground import world
from invite_bot.playground.conversations import LocalSlack
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.page import Playground, page_app
from invite_bot.playground.slack import FakeSlack
from invite_bot.runtime import StartupError, serving
from invite_bot.store import BASELINE_DONE, Store, Tx

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
WATCH_INTERVAL = 3.0  # seconds: a notification shows up soon after a change
BASELINE_WAIT = 60.0  # seconds for the watcher's first poll, on a busy machine


@dataclass
class Options:
    port: int | None = None  # None: DEFAULT_PORT, or the next free one if it is taken
    seed: int = 0  # extra pending invitations
    db: str | None = None  # a database URL; None: SQLite in a temporary folder
    log_level: str = "WARNING"


@contextlib.asynccontextmanager
async def sandbox_gencove(*, extra_pending: int = 0) -> AsyncIterator[FakeGencove]:
    """The Gencove sandbox on a free loopback port, furnished with the playground's world."""
    async with FakeGencove(host=HOST, org_name="Playground Genomics") as gencove:
        world.furnish_gencove(gencove, extra_pending=extra_pending)
        yield gencove


@contextlib.asynccontextmanager
async def playground(options: Options) -> AsyncIterator[str]:
    """Everything started; yields the page's address. Leaving the block stops it all."""
    bot_token = "xoxb-playground-" + secrets.token_hex(12)
    signing_secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="invite-bot-playground-") as folder:
        async with (
            sandbox_gencove(extra_pending=options.seed) as gencove,
            FakeSlack(bot_token, host=HOST, team_id=world.TEAM_ID, team="Playground Lab",
                      bot_user_id=world.BOT_USER_ID) as slack,
        ):
            world.furnish_slack(slack)
            settings = _settings(options, gencove, slack, bot_token, signing_secret, folder)
            async with (
                serving(settings, host=HOST, port=0, watch=True) as bot,
                aiohttp.ClientSession() as session,
            ):
                await _baseline_taken(bot.bot.store)
                local = LocalSlack(slack, bot.url, signing_secret, session)
                page = Playground(local, gencove, bot.watcher)
                runner = web.AppRunner(page_app(page), access_log=None)
                await runner.setup()
                try:
                    port = await _listen(runner, options.port)
                    yield f"http://{HOST}:{port}/"
                finally:
                    await runner.cleanup()


def _baseline_done(tx: Tx) -> str | None:
    return tx.state.get(BASELINE_DONE)


async def _baseline_taken(store: Store) -> None:
    """The watcher's first poll is a silent baseline: what a person does after it is heard."""
    try:
        async with asyncio.timeout(BASELINE_WAIT):
            while await store.read(_baseline_done) is None:  # noqa: ASYNC110 (a row)
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise StartupError("the watcher could not read the Gencove sandbox") from None


def _settings(
    options: Options,
    gencove: FakeGencove,
    slack: FakeSlack,
    bot_token: str,
    signing_secret: str,
    folder: str,
) -> Settings:
    database = options.db or f"sqlite:///{Path(folder) / 'invite-bot.sqlite3'}"
    return load_settings(
        env_file=None,
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_api_url=slack.api_url,
        gencove_api_key=gencove.org_api_key,
        gencove_api_url=gencove.url,
        gencove_timeout=10,
        database_url=database,
        invite_bot_secret_key=Fernet.generate_key().decode(),
        watch_interval=WATCH_INTERVAL,
        invite_notify_channel=world.NOTIFY_CHANNEL,
        invite_admins="",  # the workspace's admins invite, as in a fresh install
        log_level=options.log_level,
    )


async def _listen(runner: web.AppRunner, port: int | None) -> int:
    """Listen on `port`; without one, on the default or the next free port after it."""
    candidates = [port] if port is not None else range(DEFAULT_PORT, DEFAULT_PORT + 20)
    for candidate in candidates:
        site = web.TCPSite(runner, HOST, candidate)
        try:
            await site.start()
        except OSError as exc:
            if port is not None:
                raise StartupError(f"cannot listen on port {port}: {exc.strerror}") from None
            continue
        return int(runner.addresses[-1][1])
    raise StartupError(f"no free port from {DEFAULT_PORT}; choose one with --port")


async def run(options: Options, stop: asyncio.Event) -> int:
    async with playground(options) as address:
        print(f"invite-bot playground: open {address}  (Ctrl-C stops it)", flush=True)
        await stop.wait()
    return 0
