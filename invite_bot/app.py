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
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.bot import Bot
from invite_bot.config.logs import redactor_for
from invite_bot.config.metrics import Metrics
from invite_bot.config.settings import Settings
from invite_bot.config.vault import Vault
from invite_bot.domain.command_types import COMMAND
from invite_bot.domain.grammar import parse_command
from invite_bot.domain.ratelimit import SlidingWindow
from invite_bot.features import actions, commands, views
from invite_bot.features.bulk import intake as bulk
from invite_bot.features.bulk import job as bulk_job
from invite_bot.features.invite import result as invite_result
from invite_bot.features.notify import notices
from invite_bot.features.requests import asking as requests
from invite_bot.features.requests import deciding
from invite_bot.gencove import GencoveClient
from invite_bot.gencove.observe import RequestObserver
from invite_bot.jobs.kinds import JobKinds
from invite_bot.slack.client import CallObserver, ObservedWebClient, like
from invite_bot.slack.guard import Guard, attach_request
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.people import Inviters
from invite_bot.slack.retries import retry_handlers
from invite_bot.slack.router import Router
from invite_bot.slack.trust import response_hosts
from invite_bot.store import Store

log = logging.getLogger(__name__)


def slack_client(settings: Settings, *, observer: CallObserver | None = None) -> AsyncWebClient:
    """The Web API client every request shares: retries what cannot take effect twice.

    One pooled `aiohttp` session (call inside the event loop; close `client.session`
    at shutdown): without it every Slack call would open a new TLS connection. Every
    call is reported to `observer` (the bot's metrics), see `slack/client.py`.
    """
    return ObservedWebClient(
        observer=observer,
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
    metrics = Metrics()
    client = slack_client(settings, observer=metrics)
    outbound = Outbound(
        client,
        redactor=redactor_for(settings.secrets()),  # what the bot sends Slack, like its logs
        response_hosts=response_hosts(settings.slack_api_url),
        sandbox=settings.gencove_sandbox,
    )
    secret = settings.invite_bot_secret_key
    return Bot(
        settings=settings,
        metrics=metrics,
        gencove=gencove_client(settings, observer=metrics),
        store=store,
        slack=client,
        outbound=outbound,
        kinds=job_kinds(),
        guard=Guard(
            outbound=outbound,
            first_delivery=lambda key: store.write(lambda tx: tx.deliveries.claim(key)),
            metrics=metrics,
        ),
        inviters=Inviters(settings.admins, client),
        limiter=SlidingWindow(settings.rate_limit),
        vault=Vault(secret.get_secret_value()) if secret else None,
        instance=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        job_lease=timedelta(seconds=settings.invite_job_lease),
    )


def job_kinds() -> JobKinds:
    """The job kinds, and who renders the messages features own. Every process renders and
    resumes jobs alike (a `watch` worker refreshes their messages too)."""
    kinds = JobKinds()
    kinds.register("invite", invite_result.PLAIN)
    kinds.register("bulk", bulk_job.KIND)
    kinds.own(notices.render_posted)  # a notification or reminder a re-invite changed
    kinds.own(deciding.shown_at)  # a request with its approval's results
    return kinds


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
    # client (same session, retries and metrics). Bolt still reads SLACK_BOT_TOKEN from the
    # environment and warns that it goes unused: that one warning is filtered out.
    bolt_log = logging.getLogger("invite_bot.bolt")
    quiet = _Without(warning_client_prioritized_and_token_skipped())
    bolt_log.addFilter(quiet)
    try:
        app = AsyncApp(
            # Named, Bolt does not read its caller's source (inspect.stack(): ~0.7 MiB kept).
            name="invite-bot",
            client=like(bot.slack),
            signing_secret=signing.get_secret_value() if signing else None,
            request_verification_enabled=signing is not None,
            authorize=authorize,
            logger=bolt_log,
        )
    finally:
        bolt_log.removeFilter(quiet)
    app.use(attach_request)  # the SlackRequest, read once, in every listener's context
    router = Router(bot.guard, parse=parse_command, command=COMMAND)
    commands.register(router, bot)
    actions.register(router, bot)
    views.register(router, bot)
    requests.register(router, bot)
    bulk.register(router, bot)
    bot.metrics.name_requests(router.names)
    router.attach(app)

    @app.error
    async def on_error(error: Exception) -> None:
        log.error("unhandled error in a listener: %s", type(error).__name__)

    return app


class _Without(logging.Filter):
    """Drops the log records whose message is `message`."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self._message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._message
