"""Building the bot: services, the Bolt app, and the Slack Web API client."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.config.logs import RedactSecrets, redactor_for
from invite_bot.config.metrics import Metrics
from invite_bot.config.settings import Settings
from invite_bot.config.vault import Vault
from invite_bot.domain.ratelimit import SlidingWindow
from invite_bot.gencove import GencoveClient
from invite_bot.gencove.observe import RequestObserver
from invite_bot.slack import actions, bulk, bulk_job, commands, requests, views
from invite_bot.slack.client import CallObserver, ObservedWebClient, like
from invite_bot.slack.context import Bot
from invite_bot.slack.guard import Guard, attach_request, slack_request
from invite_bot.slack.people import Inviters
from invite_bot.slack.replying import checked_responses
from invite_bot.slack.retries import retry_handlers
from invite_bot.slack.sandbox import SandboxApp, SandboxWebClient, label_responses
from invite_bot.store import Store

log = logging.getLogger(__name__)


def slack_client(
    settings: Settings,
    *,
    observer: CallObserver | None = None,
    redactor: RedactSecrets | None = None,
) -> AsyncWebClient:
    """The Web API client every request shares: retries what cannot take effect twice.

    One pooled `aiohttp` session (call inside the event loop; close `client.session`
    at shutdown): without it every Slack call would open a new TLS connection. Every
    call is reported to `observer` (the bot's metrics), and what it would show is
    redacted like the logs, see `slack/client.py`.
    """
    client_class = SandboxWebClient if settings.gencove_sandbox else ObservedWebClient
    return client_class(
        observer=observer,
        redactor=redactor or redactor_for(settings.secrets()),
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        session=aiohttp.ClientSession(),
        timeout=15,
        retry_handlers=retry_handlers(),
    )


def gencove_client(
    settings: Settings, *, observer: RequestObserver | None = None
) -> GencoveClient:
    return GencoveClient(
        settings.gencove_api_url,
        settings.gencove_api_key,
        observer=observer,
        timeout=settings.gencove_timeout,
        deadline=settings.gencove_deadline,
        connect_timeout=settings.gencove_connect_timeout,
        max_concurrency=settings.gencove_max_concurrency,
        max_retries=settings.gencove_max_retries,
    )


def build_bot(settings: Settings, store: Store) -> Bot:
    # Every process renders and resumes bulk jobs alike (a `watch` worker refreshes their
    # messages too), so the job kind is known before any job is touched.
    bulk_job.register()
    metrics = Metrics()
    redactor = redactor_for(settings.secrets())  # what the bot sends Slack, like its logs
    client = slack_client(settings, observer=metrics, redactor=redactor)
    secret = settings.invite_bot_secret_key
    return Bot(
        settings=settings,
        metrics=metrics,
        redactor=redactor,
        gencove=gencove_client(settings, observer=metrics),
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
    # Bolt gets the token from `authorize` for each request, and a tokenless copy of our
    # client (same session, retries and metrics). Given no `token`, Bolt reads
    # SLACK_BOT_TOKEN from the environment and, with a client as well, warns at every
    # start that it goes unused: it is kept out of Bolt's sight while the app is built.
    bolt_client = like(bot.slack)
    app_class = SandboxApp if bot.settings.gencove_sandbox else AsyncApp
    with _hidden_from_bolt("SLACK_BOT_TOKEN"):
        app = app_class(
            # Named, Bolt does not read its caller's source (inspect.stack(): ~0.7 MiB kept).
            name="invite-bot",
            client=bolt_client,
            signing_secret=signing.get_secret_value() if signing else None,
            request_verification_enabled=signing is not None,
            authorize=authorize,
            logger=logging.getLogger("invite_bot.bolt"),
        )
    app.use(attach_request)  # the SlackRequest, read once, in every listener's context
    if bot.settings.gencove_sandbox:
        app.use(label_responses)
    # Every reply through a response_url: its host checked, redacted, its answer checked.
    app.use(
        checked_responses(
            hosts=bot.response_hosts,
            tell_privately=bot.tell_privately,
            redactor=bot.redactor,
            request_of=slack_request,
        )
    )
    guard = Guard.for_bot(bot)
    commands.register(app, bot, guard)
    actions.register(app, bot, guard)
    views.register(app, bot, guard)
    requests.register(app, bot, guard)
    bulk.register(app, bot, guard)

    @app.error
    async def on_error(error: Exception) -> None:
        log.error("unhandled error in a listener: %s", type(error).__name__)

    return app


@contextlib.contextmanager
def _hidden_from_bolt(name: str) -> Iterator[None]:
    """The environment without `name` for the block (start-up, before any task runs)."""
    saved = os.environ.pop(name, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[name] = saved
