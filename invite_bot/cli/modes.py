"""What each long-running command does once its settings are read: `serve`, `socket`,
`watch` (each until SIGTERM or SIGINT), `migrate`, and the two that bring the Gencove
sandbox (`serve|socket --gencove-sandbox`, `playground`)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from invite_bot.config.logs import setup_logging
from invite_bot.config.settings import DatabaseSettings, Settings, load_settings
from invite_bot.runtime import (
    HOME_REFRESH_EVERY,
    connected_bot,
    open_store,
    serving,
    socket_serving,
    status_server,
)
from invite_bot.store import redact

# The optional settings a mode cannot do without.
NEEDS = {"serve": ("SLACK_SIGNING_SECRET",), "socket": ("SLACK_APP_TOKEN",)}


def stop_event() -> asyncio.Event:
    """Set on SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    stop = stop_event()
    async with serving(
        settings, host=args.host, port=settings.port, watch=not args.no_watch
    ) as served:
        print(f"invite-bot listening on {served.url}", flush=True)
        await stop.wait()
    return 0


async def run_socket(settings: Settings, args: argparse.Namespace) -> int:
    stop = stop_event()
    async with socket_serving(
        settings, host=args.host, port=settings.port, watch=not args.no_watch
    ) as served:
        if served.url is not None:
            print(f"invite-bot probes on {served.url}/readyz", flush=True)
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({served.connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if served.connecting.done():
            served.connecting.result()  # (it retries until connected: only a bug raises)
            print("invite-bot connected in Socket Mode", flush=True)
        await stopping
    return 0


async def run_watch(settings: Settings, args: argparse.Namespace) -> int:
    stop = stop_event()
    async with (
        connected_bot(settings) as (bot, _identity),
        status_server(bot, host=args.host, port=settings.port) as url,
    ):
        print("invite-bot watcher running", flush=True)
        if url is not None:
            print(f"invite-bot metrics on {url}/metrics", flush=True)
        await asyncio.gather(
            bot.watcher().run(stop),
            bot.features.home_refresh.run(stop, every=HOME_REFRESH_EVERY),
        )
    return 0


RUNNERS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "serve": run_serve,
    "socket": run_socket,
    "watch": run_watch,
}


async def run_migrate(settings: DatabaseSettings) -> int:
    store = await open_store(settings.database_url)
    await store.close()
    print(f"database {redact(settings.database_url)} is up to date")
    return 0


async def run_with_sandbox(args: argparse.Namespace) -> int:
    """A real Slack workspace in front of the embedded Gencove sandbox (no Gencove key).

    The sandbox lives in memory, so the bot's database is a temporary one too: what the
    bot remembers of sandbox invitations must never mix with a real organization's.
    """
    from invite_bot.playground.run import sandbox_gencove

    async with sandbox_gencove() as gencove:
        with tempfile.TemporaryDirectory(prefix="invite-bot-sandbox-") as folder:
            settings = load_settings(
                required=NEEDS.get(args.mode, ()),
                gencove_api_key=gencove.org_api_key,
                gencove_api_url=gencove.url,
                gencove_sandbox=True,
                database_url=f"sqlite:///{Path(folder) / 'sandbox.sqlite3'}",
            )
            setup_logging(settings.log_level, settings.secrets(), log_format=settings.log_format)
            print(
                f"invite-bot: Gencove is the embedded sandbox at {gencove.url}; "
                "every message says so",
                flush=True,
            )
            return await RUNNERS[args.mode](settings, args)


async def run_playground(args: argparse.Namespace, log_level: str) -> int:
    """No settings and no .env: the playground makes up everything it needs."""
    from invite_bot.playground.run import Options, run

    options = Options(port=args.port, seed=max(0, args.seed), db=args.db)
    setup_logging((log_level or options.log_level).upper(), ())
    return await until_stopped(lambda stop: run(options, stop))


async def until_stopped(main: Callable[[asyncio.Event], Awaitable[int]]) -> int:
    return await main(stop_event())
