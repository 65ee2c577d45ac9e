"""The command line: `invite-bot serve | socket | watch | check | migrate`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from aiohttp import web
from slack_sdk.errors import SlackApiError

from invite_bot.gencove import GencoveError
from invite_bot.logs import setup_logging
from invite_bot.settings import Settings, SettingsError, load_settings
from invite_bot.slack.lifecycle import drain
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
    socket_mode = sub.add_parser("socket", help="Socket Mode (no public URL needed)")
    socket_mode.add_argument("--no-watch", action="store_true")
    sub.add_parser("watch", help="run only the watcher (Procfile worker)")
    sub.add_parser("check", help="verify settings, the Slack token and the Gencove key")
    sub.add_parser("migrate", help="apply database migrations and exit")
    args = parser.parse_args(argv)
    needs = {"serve": ("SLACK_SIGNING_SECRET",), "socket": ("SLACK_APP_TOKEN",)}
    try:
        settings = load_settings(required=needs.get(args.mode, ()))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.secrets())
    runners = {"serve": run_serve, "socket": run_socket, "watch": run_watch}
    try:
        if args.mode == "check":
            return asyncio.run(run_check(settings))
        if args.mode == "migrate":
            return asyncio.run(run_migrate(settings))
        return asyncio.run(runners[args.mode](settings, args))
    except KeyboardInterrupt:
        return 0
    except StartupError as exc:
        print(f"invite-bot cannot start: {exc}", file=sys.stderr)
        return 1


class StartupError(Exception):
    pass


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _open_store(settings: Settings) -> Store:
    try:
        return await Store.open(settings.database_url)
    except Exception as exc:
        raise StartupError(
            f"the database at {redact(settings.database_url)} is not usable "
            f"({type(exc).__name__}). Check DATABASE_URL."
        ) from None


@contextlib.asynccontextmanager
async def _bot(settings: Settings) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    from invite_bot.slack.app import build_bot

    store = await _open_store(settings)
    bot = build_bot(settings, store)
    try:
        try:
            identity = dict((await bot.slack.auth_test()).data)  # type: ignore[arg-type]
        except SlackApiError as exc:
            raise StartupError(
                f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')})"
            ) from None
        except Exception as exc:
            raise StartupError(f"Slack is unreachable ({type(exc).__name__})") from None
        yield bot, identity
    finally:
        for task in list(bot.background):
            task.cancel()
        await bot.gencove.close()
        await bot.slack.session.close() if bot.slack.session else None
        await store.close()


async def _background(bot: Any, stop: asyncio.Event, *, watch: bool) -> list[asyncio.Task[Any]]:
    from invite_bot.slack.inviting import resume_jobs
    from invite_bot.watcher import Watcher

    tasks = [asyncio.create_task(_resume_loop(bot, stop, resume_jobs))]
    if watch:
        tasks.append(asyncio.create_task(Watcher(bot).run(stop)))
    return tasks


async def _resume_loop(bot: Any, stop: asyncio.Event, resume: Any) -> None:
    """Finish invite jobs a crashed process left open (now, and now and then after)."""
    while not stop.is_set():
        try:
            await resume(bot)
            # Slack retries a delivery within minutes: a day of fingerprints is plenty.
            await bot.store.prune_deliveries(timedelta(days=1))
        except Exception:
            log.exception("resuming invite jobs failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=30)


async def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    from invite_bot.slack.app import build_app
    from invite_bot.slack.web import web_app

    stop = _stop_event()
    async with _bot(settings) as (bot, identity):
        app = build_app(bot, identity)
        runner = web.AppRunner(web_app(app, bot.store), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, settings.port)
        try:
            await site.start()
        except OSError as exc:
            raise StartupError(f"cannot listen on port {settings.port}: {exc.strerror}") from None
        tasks = await _background(bot, stop, watch=not args.no_watch)
        log.info("invite-bot serving on %s:%d", args.host, settings.port)
        print(f"invite-bot listening on http://{args.host}:{settings.port}", flush=True)
        await stop.wait()
        await runner.cleanup()
        await drain(bot.background)
        await _finish(tasks)
    return 0


async def run_socket(settings: Settings, args: argparse.Namespace) -> int:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    from invite_bot.slack.app import build_app

    assert settings.slack_app_token is not None
    stop = _stop_event()
    async with _bot(settings) as (bot, identity):
        app = build_app(bot, identity)
        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        await handler.connect_async()  # type: ignore[no-untyped-call]
        tasks = await _background(bot, stop, watch=not args.no_watch)
        print("invite-bot connected in Socket Mode", flush=True)
        await stop.wait()
        await handler.close_async()  # type: ignore[no-untyped-call]
        await drain(bot.background)
        await _finish(tasks)
    return 0


async def run_watch(settings: Settings, args: argparse.Namespace) -> int:
    from invite_bot.watcher import Watcher

    stop = _stop_event()
    async with _bot(settings) as (bot, _identity):
        print("invite-bot watcher running", flush=True)
        await Watcher(bot).run(stop)
    return 0


async def _finish(tasks: list[asyncio.Task[Any]]) -> None:
    _done, pending = await asyncio.wait(tasks, timeout=10)
    for task in pending:
        task.cancel()


async def run_migrate(settings: Settings) -> int:
    store = await _open_store(settings)
    await store.close()
    print(f"database {redact(settings.database_url)} is up to date")
    return 0


async def run_check(settings: Settings) -> int:
    """Each part with a verdict; exit 1 if any failed."""
    from invite_bot.slack.app import gencove_client, slack_client

    print("settings: ok")
    failed = False
    client = slack_client(settings)
    try:
        identity = await client.auth_test()
        print(f"slack: ok (bot {identity.get('user')} in team {identity.get('team')})")
    except SlackApiError as exc:
        failed = True
        print(f"slack: FAILED, Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')})")
    except Exception as exc:
        failed = True
        print(f"slack: FAILED, cannot reach {settings.slack_api_url} ({type(exc).__name__})")
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
