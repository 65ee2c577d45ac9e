"""Serve a Bolt ``AsyncApp`` the way invite-bot does (``invite_bot/slack/web.py``).

aiohttp, ``POST /slack/events`` through Bolt's aiohttp adapter, ``GET /healthz``, no
access log. Kept free of invite_bot and tests imports, so the baseline processes carry
only what a minimal Bolt app needs (their memory is compared with the bot's).
"""

from __future__ import annotations

import os

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

MAX_BODY = 1024 * 1024


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise SystemExit(f"{name} is not set")
    return value


def fixed_authorize(bot_token: str) -> AuthorizeResult:
    """What invite-bot does too: the identity is known up front, Bolt never asks Slack."""
    return AuthorizeResult(
        enterprise_id=None,
        team_id="T1",
        bot_token=bot_token,
        bot_user_id="U_BOT",
        bot_id="B_BOT",
    )


def serve(app: AsyncApp) -> None:
    async def events(request: web.Request) -> web.StreamResponse:
        bolt_request = await to_bolt_request(request)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    application = web.Application(client_max_size=MAX_BODY)
    application.router.add_post("/slack/events", events)
    application.router.add_get("/healthz", healthz)
    web.run_app(
        application,
        host=env("HOST", "127.0.0.1"),
        port=int(env("PORT")),
        access_log=None,
        print=None,
    )
