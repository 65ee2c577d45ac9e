"""Building the bot: services, the Bolt app, and the Slack Web API client."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.core.ratelimit import SlidingWindow
from invite_bot.gencove import GencoveClient
from invite_bot.settings import Settings
from invite_bot.slack import actions, commands, views
from invite_bot.slack.context import Bot
from invite_bot.slack.guard import Guard, attach_request
from invite_bot.slack.permissions import Inviters
from invite_bot.slack.sandbox import SandboxApp, SandboxWebClient, label_responses
from invite_bot.store import Store
from invite_bot.vault import Vault

log = logging.getLogger(__name__)


def slack_client(settings: Settings) -> AsyncWebClient:
    """The Web API client every request shares: retries connection errors, 429 and 5xx.

    One pooled `aiohttp` session (call inside the event loop; close `client.session`
    at shutdown): without it every Slack call would open a new TLS connection.
    """
    client_class = SandboxWebClient if settings.gencove_sandbox else AsyncWebClient
    return client_class(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        session=aiohttp.ClientSession(),
        timeout=15,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=4),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def gencove_client(settings: Settings) -> GencoveClient:
    return GencoveClient(
        settings.gencove_api_url,
        settings.gencove_api_key,
        timeout=settings.gencove_timeout,
        connect_timeout=settings.gencove_connect_timeout,
        max_concurrency=settings.gencove_max_concurrency,
        max_retries=settings.gencove_max_retries,
    )


def build_bot(settings: Settings, store: Store) -> Bot:
    client = slack_client(settings)
    secret = settings.invite_bot_secret_key
    return Bot(
        settings=settings,
        gencove=gencove_client(settings),
        store=store,
        slack=client,
        inviters=Inviters(settings.admins, client),
        limiter=SlidingWindow(settings.rate_limit),
        vault=Vault(secret.get_secret_value()) if secret else None,
        instance=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        job_lease=timedelta(seconds=settings.invite_job_lease),
    )


def build_app(bot: Bot, identity: dict[str, Any]) -> AsyncApp:
    """The Bolt app with every listener registered.

    `identity` is the `auth.test` answer taken once at start-up, so Bolt never calls
    Slack before a request is acknowledged.
    """
    result = AuthorizeResult(
        enterprise_id=identity.get("enterprise_id"),
        team_id=identity.get("team_id"),
        bot_token=bot.settings.slack_bot_token.get_secret_value(),
        bot_user_id=identity.get("user_id"),
        bot_id=identity.get("bot_id"),
    )

    async def authorize() -> AuthorizeResult:
        return result

    signing = bot.settings.slack_signing_secret
    # Bolt gets the token from `authorize` for each request; a tokenless copy of our
    # client (same session and retries) keeps it from warning that a token is ignored.
    bolt_client = type(bot.slack)(
        base_url=bot.slack.base_url,
        session=bot.slack.session,
        timeout=bot.slack.timeout,
        retry_handlers=bot.slack.retry_handlers,
    )
    app_class = SandboxApp if bot.settings.gencove_sandbox else AsyncApp
    app = app_class(
        client=bolt_client,
        signing_secret=signing.get_secret_value() if signing else None,
        request_verification_enabled=signing is not None,
        authorize=authorize,
        logger=logging.getLogger("invite_bot.bolt"),
    )
    app.use(attach_request)  # the SlackRequest, read once, in every listener's context
    if bot.settings.gencove_sandbox:
        app.use(label_responses)
    guard = Guard.for_bot(bot)
    commands.register(app, bot, guard)
    actions.register(app, bot, guard)
    views.register(app, bot, guard)

    @app.error
    async def on_error(error: Exception) -> None:
        log.error("unhandled error in a listener: %s", type(error).__name__)

    return app
