"""The HTTP face of the bot: `POST /slack/events` (Bolt), `GET /healthz` and
`GET /metrics` (Prometheus). `status_app` is the last two alone, for `invite-bot watch`.

`/healthz` answers JSON (see `invite_bot.domain.health`): 200 when healthy, 503 when the
database or its schema is unusable or this process's watcher is stalled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from invite_bot.config.metrics import CONTENT_TYPE, Metrics
from invite_bot.domain.health import Watching, report
from invite_bot.store import Store

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse anything bigger unread
SCRAPE_READ_TIMEOUT = 5.0  # seconds a scrape waits for the outbox gauges' database read


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
        try:
            bolt_request = await to_bolt_request(request)  # reads at most MAX_BODY, else 413
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
) -> web.Application:
    """`GET /healthz`, and `GET /metrics` when there are metrics to show. `watching`: the
    watch interval and whether (since when) a watcher runs in this process."""

    async def healthz(request: web.Request) -> web.Response:
        facts = await store.health()
        ok, body = report(facts, watching, datetime.now(UTC))
        return web.json_response(body, status=200 if ok else 503)

    application = web.Application(client_max_size=client_max_size)
    application.router.add_get("/healthz", healthz)
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
