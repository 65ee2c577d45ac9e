"""The HTTP face of the bot: `POST /slack/events` (Bolt), `GET /healthz`, `GET /readyz`
and `GET /metrics` (Prometheus). `status_app` is the last three alone, for the processes
that take no Slack requests over HTTP (`invite-bot watch`, `invite-bot socket`).

Both probes answer JSON (see `invite_bot.domain.health`). `/healthz`, liveness: 200 when
healthy, 503 when the database or its schema is unusable or this process's watcher is
stalled. `/readyz`, readiness: 200 when the database answers at the expected schema and,
in Socket Mode, the socket to Slack is connected; 503 otherwise."""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from invite_bot.config.metrics import CONTENT_TYPE, Metrics
from invite_bot.domain.health import Watching, readiness, report
from invite_bot.store import Store

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse anything bigger unread
SCRAPE_READ_TIMEOUT = 5.0  # seconds a scrape waits for the outbox gauges' database read
# Seconds a client has to send a whole request line and headers from the moment it
# connects (or from its last answer, between two requests on one connection), and then
# its body: a client trickling bytes holds a descriptor no longer than this.
HEADERS_TIMEOUT = 5.0
BODY_TIMEOUT = 10.0
TIMESTAMP = "X-Slack-Request-Timestamp"
# Whether this process's Socket Mode connection is up now (see slack/socket_mode.py).
Connected = Callable[[], Awaitable[bool]]
OUT_OF_DESCRIPTORS_EVERY = 60.0  # seconds between two log lines saying so


def runner(application: web.Application) -> web.AppRunner:
    """The runner every HTTP face of the bot is served with: slow clients are dropped."""
    return web.AppRunner(application, access_log=None, keepalive_timeout=HEADERS_TIMEOUT)


def web_app(
    app: AsyncApp,
    store: Store,
    metrics: Metrics | None = None,
    *,
    watching: Watching | None = None,
) -> web.Application:
    async def events(request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413, text="payload too large")
        if not _plain_integer(request.headers.get(TIMESTAMP)):
            # Not a timestamp Slack sends: refused like any bad signature, before Bolt.
            return web.Response(status=401, text="invalid request")
        try:
            try:
                async with asyncio.timeout(BODY_TIMEOUT):
                    bolt_request = await to_bolt_request(request)  # at most MAX_BODY, or 413
            except TimeoutError:
                return web.Response(status=408, text="request timeout")
            bolt_response = await app.async_dispatch(bolt_request)
        except web.HTTPException:
            raise
        except Exception as exc:
            # A body Bolt cannot even parse (bad UTF-8, broken JSON, a payload of the wrong
            # shape) is refused like any bad request, not answered with a 500 and a trace.
            log.warning("refused an unreadable request (%s)", type(exc).__name__)
            return web.Response(status=400, text="bad request")
        return await to_aiohttp_response(bolt_response)

    application = status_app(store, metrics, client_max_size=MAX_BODY, watching=watching)
    application.router.add_post("/slack/events", events)
    return application


def status_app(
    store: Store,
    metrics: Metrics | None,
    *,
    client_max_size: int = MAX_BODY,
    watching: Watching | None = None,
    connected: Connected | None = None,
) -> web.Application:
    """`GET /healthz`, `GET /readyz`, and `GET /metrics` when there are metrics to show.
    `watching`: the watch interval and whether (since when) a watcher runs in this
    process; `connected`: the Socket Mode connection's state, where there is one."""

    async def healthz(request: web.Request) -> web.Response:
        facts = await store.health()
        ok, body = report(facts, watching, datetime.now(UTC))
        return web.json_response(body, status=200 if ok else 503)

    async def readyz(request: web.Request) -> web.Response:
        socket = None if connected is None else await connected()
        ok, body = readiness(await store.health(), socket)
        return web.json_response(body, status=200 if ok else 503)

    application = web.Application(client_max_size=client_max_size)
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/readyz", readyz)
    if metrics is not None:
        application.router.add_get("/metrics", _metrics_handler(store, metrics))
    return application


def _metrics_handler(
    store: Store, metrics: Metrics
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def scrape(request: web.Request) -> web.Response:
        # The outbox gauges are read now, so they are right on every process (the web
        # one too, whose watcher may run elsewhere); without a database they stay as
        # they were, and /healthz says why.
        try:
            async with asyncio.timeout(SCRAPE_READ_TIMEOUT):
                metrics.outbox_backlog(*await store.read(lambda tx: tx.outbox.backlog()))
        except Exception as exc:
            log.warning("metrics: the outbox could not be read (%s)", type(exc).__name__)
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    return scrape


def _plain_integer(value: str | None) -> bool:
    """A Unix time in seconds as Slack writes it: ASCII digits, and not absurdly many."""
    return value is not None and 0 < len(value) <= 12 and value.isascii() and value.isdigit()


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Out of descriptors, asyncio logs each failed accept (it retries every second):
    log it once a minute instead, with what to do about it."""
    default = loop.get_exception_handler()
    last = [-OUT_OF_DESCRIPTORS_EVERY]

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            now = loop.time()
            if now - last[0] >= OUT_OF_DESCRIPTORS_EVERY:
                last[0] = now
                log.error(
                    "out of file descriptors: new connections wait until some close "
                    "(raise the process's open-files limit, or add replicas)"
                )
            return
        if default is not None:
            default(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
