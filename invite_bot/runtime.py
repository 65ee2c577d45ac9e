"""Starting and stopping the bot: its services, its HTTP app and its background work.

`serving()` is what `invite-bot serve` runs, and what the playground runs in-process, so
the bot a person tries there is started exactly as in production; `socket_serving()` is
`invite-bot socket`. `connected_bot()` is the part every mode shares: the store, the
services and the one `auth.test` at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_sdk.errors import SlackApiError

from invite_bot.config.settings import Settings
from invite_bot.domain.health import Watching
from invite_bot.slack.errors import classify
from invite_bot.store import Store, StoreUnavailable, Tx, redact
from invite_bot.store.migrate import HEAD_REVISION, SchemaTooNew
from invite_bot.store.schema import utcnow

if TYPE_CHECKING:
    from invite_bot.app import Bot
    from invite_bot.features.notify.watcher import Watcher
    from invite_bot.slack.http import Connected

log = logging.getLogger("invite_bot")

RESUME_EVERY = 30.0  # seconds between looks for invite jobs a crashed process left open
HOME_REFRESH_EVERY = 3.0  # seconds: at most one Home tab refresh per person that often


class StartupError(Exception):
    """The bot cannot start; `str()` says why and what to check, without secrets."""


async def open_store(database_url: str) -> Store:
    """The store at `database_url`, migrated to this version's schema."""
    try:
        return await Store.open(database_url)
    except SchemaTooNew as exc:
        raise StartupError(
            f"the database's schema is at revision {exc.current}, newer than this version "
            f"of the bot knows (up to {HEAD_REVISION}): a newer invite-bot migrated it. Run "
            "that version, or restore a backup taken before the upgrade."
        ) from None
    except Exception as exc:
        raise StartupError(
            f"the database at {redact(database_url)} is not usable "
            f"({type(exc).__name__}). Check DATABASE_URL."
        ) from None


@contextlib.asynccontextmanager
async def connected_bot(settings: Settings) -> AsyncIterator[tuple[Bot, dict[str, Any]]]:
    """The bot's services and Slack's `auth.test` answer; everything is closed after."""
    from invite_bot.app import build_bot

    store = await open_store(settings.database_url)
    bot = build_bot(settings, store)
    try:
        try:
            identity = dict((await bot.slack.auth_test()).data)  # type: ignore[arg-type]
        except SlackApiError as exc:
            raise StartupError(f"Slack refused SLACK_BOT_TOKEN ({classify(exc).error})") from None
        except Exception as exc:
            raise StartupError(f"Slack is unreachable ({type(exc).__name__})") from None
        yield bot, identity
    finally:
        for task in list(bot.jobs.holding.tasks):
            task.cancel()
        await bot.gencove.close()
        await bot.slack.session.close() if bot.slack.session else None
        await store.close()


@dataclass
class Background:
    """The work a process does besides answering Slack: resuming jobs, and the watcher."""

    tasks: list[asyncio.Task[Any]]
    watcher: Watcher | None

    async def finish(self) -> None:
        _done, pending = await asyncio.wait(self.tasks, timeout=10)
        for task in pending:
            task.cancel()


def start_background(bot: Bot, stop: asyncio.Event, *, watch: bool) -> Background:
    """Resuming jobs, and the watcher when `watch` (only then is its module imported: a
    `serve --no-watch` replica never polls)."""
    tasks = [asyncio.create_task(_resume_loop(bot, stop))]
    watcher = None
    if watch:
        watcher = bot.watcher()
        tasks.append(asyncio.create_task(watcher.run(stop)))
        home = bot.features.home_refresh  # opened Home tabs kept up to date, as one
        tasks.append(asyncio.create_task(home.run(stop, every=HOME_REFRESH_EVERY)))
    return Background(tasks, watcher)


def _prune(tx: Tx) -> None:
    """Forget what no one can ask for any more: old deliveries, expired bulk drafts,
    workflow steps completed long ago."""
    # Slack retries a delivery within minutes: a day of fingerprints is plenty.
    tx.deliveries.prune(timedelta(days=1))
    tx.drafts.prune(utcnow())
    tx.workflow_steps.prune(timedelta(days=7))  # Slack redelivers an execution within hours


async def _resume_loop(bot: Bot, stop: asyncio.Event) -> None:
    """Finish invite jobs a crashed process left open (now, and now and then after)."""
    while not stop.is_set():
        try:
            await bot.jobs.resume()
            await bot.features.stepping.resume()  # after the jobs its steps may wait on
            await bot.store.write(_prune)
        except StoreUnavailable as exc:
            log.warning("invite jobs not resumed, database unavailable: %s", exc.kind)
        except Exception:
            log.exception("resuming invite jobs failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RESUME_EVERY)


@dataclass
class Serving:
    """A bot answering Slack over HTTP at `url` (`POST /slack/events`, `GET /healthz`)."""

    bot: Bot
    url: str
    background: Background

    @property
    def watcher(self) -> Watcher | None:
        return self.background.watcher


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, *, host: str, port: int, watch: bool
) -> AsyncIterator[Serving]:
    """HTTP mode until the block exits; then in-flight work gets its grace to finish."""
    from invite_bot.app import build_app
    from invite_bot.slack.http import quiet_accept_errors, runner, web_app

    stop = asyncio.Event()
    async with connected_bot(settings) as (bot, identity):
        app = build_app(bot, identity)
        watching = Watching(
            settings.watch_interval, here_since=datetime.now(UTC) if watch else None
        )
        served = runner(web_app(app, bot.store, bot.metrics, watching=watching))
        await served.setup()
        quiet_accept_errors(asyncio.get_running_loop())
        site = web.TCPSite(served, host, port)
        try:
            await site.start()
        except OSError as exc:
            await served.cleanup()
            raise StartupError(f"cannot listen on port {port}: {exc.strerror}") from None
        bound = port or _bound_port(served)
        background = start_background(bot, stop, watch=watch)
        log.info("invite-bot serving on %s:%d", host, bound)
        try:
            yield Serving(bot, f"http://{host}:{bound}", background)
        finally:
            stop.set()
            await served.cleanup()
            await bot.guard.drain(bot.jobs.holding.tasks)
            await background.finish()


@dataclass
class SocketServing:
    """A bot answering Slack over Socket Mode; its probes and metrics at `url` (None: the
    port was taken). `connecting` ends once the first connection is open."""

    bot: Bot
    url: str | None
    connecting: asyncio.Task[None]
    background: Background


@contextlib.asynccontextmanager
async def socket_serving(
    settings: Settings, *, host: str, port: int, watch: bool
) -> AsyncIterator[SocketServing]:
    """Socket Mode until the block exits. `GET /healthz`, `/readyz` and `/metrics` are
    served on `port` from the start, so a probe sees the process live but not ready
    while the socket is not connected (before the first connection, and whenever Slack
    drops it until the client has reconnected)."""
    from invite_bot.app import build_app
    from invite_bot.slack.socket_mode import SocketModeConnection

    assert settings.slack_app_token is not None
    stop = asyncio.Event()
    async with connected_bot(settings) as (bot, identity):
        link = SocketModeConnection(
            build_app(bot, identity), settings.slack_app_token.get_secret_value()
        )
        watching = Watching(
            settings.watch_interval, here_since=datetime.now(UTC) if watch else None
        )
        try:
            async with status_server(
                bot, host=host, port=port, watching=watching, connected=link.connected
            ) as url:
                connecting = asyncio.create_task(link.connect())
                background = start_background(bot, stop, watch=watch)
                try:
                    yield SocketServing(bot, url, connecting, background)
                finally:
                    stop.set()
                    connecting.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await connecting
                    await link.close()
                    await bot.guard.drain(bot.jobs.holding.tasks)
                    await background.finish()
        finally:
            await link.close()  # (again: a no-op) also when the status server failed


@contextlib.asynccontextmanager
async def status_server(
    bot: Bot,
    *,
    host: str,
    port: int,
    watching: Watching | None = None,
    connected: Connected | None = None,
) -> AsyncIterator[str | None]:
    """`GET /metrics`, `/healthz` and `/readyz` for a process that takes no Slack requests
    over HTTP (`invite-bot watch`, `invite-bot socket`), so it can be probed and scraped.
    `watching`: by default, a watcher runs here from now; `connected`: the Socket Mode
    connection's state. Yields its URL, or None when the port is taken: that is logged,
    and the process runs on without it."""
    from invite_bot.slack.http import runner as http_runner
    from invite_bot.slack.http import status_app

    if watching is None:
        watching = Watching(bot.settings.watch_interval, here_since=datetime.now(UTC))
    runner = http_runner(status_app(bot.store, bot.metrics, watching=watching, connected=connected))
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            log.warning(
                "probes and metrics not served: cannot listen on port %d (%s); set PORT",
                port,
                exc.strerror,
            )
            yield None
            return
        url = f"http://{host}:{port or _bound_port(runner)}"
        log.info("probes and metrics served on %s (/healthz, /readyz, /metrics)", url)
        yield url
    finally:
        await runner.cleanup()


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    raise StartupError("the HTTP server did not report its port")
