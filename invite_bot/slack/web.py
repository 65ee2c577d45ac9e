"""The HTTP face of the bot: `POST /slack/events` (Bolt) and `GET /healthz`."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from invite_bot.store import Store

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse anything bigger unread


def web_app(app: AsyncApp, store: Store) -> web.Application:
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

    async def healthz(request: web.Request) -> web.Response:
        if await store.ping():
            return web.json_response({"ok": True, "database": "reachable"})
        return web.json_response({"ok": False, "database": "unreachable"}, status=503)

    application = web.Application(client_max_size=MAX_BODY)
    application.router.add_post("/slack/events", events)
    application.router.add_get("/healthz", healthz)
    return application
