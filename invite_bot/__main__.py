"""The command line: `invite-bot serve | socket | watch | check | migrate | playground`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.config.logs import setup_logging
from invite_bot.config.settings import Settings, SettingsError, load_settings
from invite_bot.gencove import GencoveError
from invite_bot.runtime import (
    StartupError,
    connected_bot,
    open_store,
    serving,
    socket_serving,
    status_server,
)
from invite_bot.slack.errors import classify
from invite_bot.store import Store, redact

log = logging.getLogger("invite_bot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="invite-bot", description="Manage Gencove organization invitations from Slack."
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    serve = sub.add_parser("serve", help="HTTP mode: POST /slack/events, GET /healthz")
    serve.add_argument("--no-watch", action="store_true", help="do not run the watcher here")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on")  # noqa: S104
    socket_mode = sub.add_parser(
        "socket", help="Socket Mode (no public URL needed); GET /healthz, /readyz on PORT"
    )
    socket_mode.add_argument("--no-watch", action="store_true")
    socket_mode.add_argument(
        "--host", default="0.0.0.0",  # noqa: S104
        help="address for GET /healthz, /readyz and /metrics (on PORT)",
    )
    for mode in (serve, socket_mode):
        mode.add_argument(
            "--gencove-sandbox",
            action="store_true",
            help="a real Slack workspace, the embedded Gencove sandbox instead of a key",
        )
    watch = sub.add_parser("watch", help="run only the watcher (Procfile worker)")
    watch.add_argument(
        "--host", default="0.0.0.0",  # noqa: S104
        help="address for GET /metrics and /healthz (on PORT)",
    )
    sub.add_parser("check", help="verify settings, the Slack token and the Gencove key")
    sub.add_parser("migrate", help="apply database migrations and exit")
    play = sub.add_parser(
        "playground", help="try the bot: a Gencove sandbox and a local Slack in the browser"
    )
    play.add_argument("--port", type=int, default=None, help="the page's port (default 8765)")
    play.add_argument("--seed", type=int, default=0, metavar="N", help="N more pending invitations")
    play.add_argument("--db", default=None, metavar="URL", help="database URL (default: temporary)")
    args = parser.parse_args(argv)
    if args.mode == "playground":
        return _run_playground(args)
    if getattr(args, "gencove_sandbox", False):
        return _run_with_sandbox(args)
    try:
        settings = load_settings(required=NEEDS.get(args.mode, ()))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.secrets(), log_format=settings.log_format)
    try:
        if args.mode == "check":
            return asyncio.run(run_check(settings))
        if args.mode == "migrate":
            return asyncio.run(run_migrate(settings))
        return asyncio.run(RUNNERS[args.mode](settings, args))
    except KeyboardInterrupt:
        return 0
    except StartupError as exc:
        print(f"invite-bot cannot start: {exc}", file=sys.stderr)
        return 1


NEEDS = {"serve": ("SLACK_SIGNING_SECRET",), "socket": ("SLACK_APP_TOKEN",)}


def _run_with_sandbox(args: argparse.Namespace) -> int:
    """A real Slack workspace in front of the embedded Gencove sandbox (no Gencove key).

    The sandbox lives in memory, so the bot's database is a temporary one too: what the
    bot remembers of sandbox invitations must never mix with a real organization's.
    """

    async def with_sandbox() -> int:
        from invite_bot.playground.run import sandbox_gencove

        async with sandbox_gencove() as gencove:
            with tempfile.TemporaryDirectory(prefix="invite-bot-sandbox-") as folder:
                try:
                    settings = load_settings(
                        required=NEEDS.get(args.mode, ()),
                        gencove_api_key=gencove.org_api_key,
                        gencove_api_url=gencove.url,
                        gencove_sandbox=True,
                        database_url=f"sqlite:///{Path(folder) / 'sandbox.sqlite3'}",
                    )
                except SettingsError as exc:
                    print(exc, file=sys.stderr)
                    return 2
                setup_logging(
                    settings.log_level, settings.secrets(), log_format=settings.log_format
                )
                print(
                    f"invite-bot: Gencove is the embedded sandbox at {gencove.url}; "
                    "every message says so",
                    flush=True,
                )
                return await RUNNERS[args.mode](settings, args)

    try:
        return asyncio.run(with_sandbox())
    except KeyboardInterrupt:
        return 0
    except StartupError as exc:
        print(f"invite-bot cannot start: {exc}", file=sys.stderr)
        return 1


def _run_playground(args: argparse.Namespace) -> int:
    """No settings and no .env: the playground makes up everything it needs."""
    from invite_bot.playground.run import Options, run

    options = Options(port=args.port, seed=max(0, args.seed), db=args.db)
    setup_logging(os.environ.get("LOG_LEVEL", options.log_level).upper(), ())
    try:
        return asyncio.run(_until_stopped(lambda stop: run(options, stop)))
    except KeyboardInterrupt:
        return 0
    except StartupError as exc:
        print(f"invite-bot playground cannot start: {exc}", file=sys.stderr)
        return 1


async def _until_stopped(main: Callable[[asyncio.Event], Awaitable[int]]) -> int:
    return await main(_stop_event())


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    stop = _stop_event()
    async with serving(
        settings, host=args.host, port=settings.port, watch=not args.no_watch
    ) as served:
        print(f"invite-bot listening on {served.url}", flush=True)
        await stop.wait()
    return 0


async def run_socket(settings: Settings, args: argparse.Namespace) -> int:
    stop = _stop_event()
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

    stop = _stop_event()
    async with (
        connected_bot(settings) as (bot, _identity),
        status_server(bot, host=args.host, port=settings.port) as url,
    ):
        print("invite-bot watcher running", flush=True)
        if url is not None:
            print(f"invite-bot metrics on {url}/metrics", flush=True)
        await bot.watcher().run(stop)
    return 0


RUNNERS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "serve": run_serve,
    "socket": run_socket,
    "watch": run_watch,
}


async def run_migrate(settings: Settings) -> int:
    store = await open_store(settings.database_url)
    await store.close()
    print(f"database {redact(settings.database_url)} is up to date")
    return 0


async def _check_app_token(client: AsyncWebClient, token: SecretStr) -> bool:
    """Socket Mode's token opens a connection address (which is then left unused)."""
    try:
        await client.apps_connections_open(app_token=token.get_secret_value())
    except SlackApiError as exc:
        error = classify(exc).error
        print(f"slack app token: FAILED, Slack refused SLACK_APP_TOKEN ({error})")
        return False
    except Exception as exc:
        print(f"slack app token: FAILED, cannot reach Slack ({type(exc).__name__})")
        return False
    print("slack app token: ok (Socket Mode can connect)")
    return True


async def run_check(settings: Settings) -> int:
    """Each part with a verdict; exit 1 if any failed."""
    from invite_bot.app import gencove_client, slack_client

    print("settings: ok")
    failed = False
    client = slack_client(settings)
    try:
        identity = await client.auth_test()
        print(f"slack: ok (bot {identity.get('user')} in team {identity.get('team')})")
    except SlackApiError as exc:
        failed = True
        print(f"slack: FAILED, Slack refused SLACK_BOT_TOKEN ({classify(exc).error})")
    except Exception as exc:
        failed = True
        print(f"slack: FAILED, cannot reach {settings.slack_api_url} ({type(exc).__name__})")
    try:
        if settings.slack_app_token is not None:
            failed = not await _check_app_token(client, settings.slack_app_token) or failed
    finally:
        if client.session:
            await client.session.close()
    async with gencove_client(settings) as gencove:
        try:
            user = await gencove.current_user()
            print(f"gencove: ok (key belongs to {user.email})")
        except GencoveError as exc:
            failed = True
            print(f"gencove: FAILED, {exc.message}")
    try:
        store = await Store.open(settings.database_url)
        ok = await store.ping()
        await store.close()
        print("database: ok" if ok else "database: FAILED, not reachable")
        failed = failed or not ok
    except Exception as exc:
        failed = True
        print(f"database: FAILED, {redact(settings.database_url)} ({type(exc).__name__})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
