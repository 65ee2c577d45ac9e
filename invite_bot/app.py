"""Building the bot: the one place that knows every part and every feature.

`build_bot` makes the parts (the store is opened by the caller): the Slack and Gencove
clients, the one outbound path, the guard, the job engine, and each feature's use case,
each given only what it uses. `build_app` is the Bolt app, with every feature's
listeners registered on the router.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.config.logs import redact_also, redactor_for
from invite_bot.config.metrics import Metrics
from invite_bot.config.settings import Settings
from invite_bot.config.vault import Vault
from invite_bot.domain.command.grammar import parse_command
from invite_bot.domain.command.types import COMMAND
from invite_bot.features.accounts.keys import KeyRing
from invite_bot.gencove import GencoveClient
from invite_bot.gencove.observe import RequestObserver
from invite_bot.jobs.engine import Jobs
from invite_bot.jobs.kinds import JobKinds
from invite_bot.slack.client import CallObserver, ObservedWebClient, like
from invite_bot.slack.guard import Guard, attach_request
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.retries import retry_handlers
from invite_bot.slack.router import Router
from invite_bot.slack.trust import response_hosts
from invite_bot.store import Store
from invite_bot.wiring import (
    Features,
    Parts,
    make_features,
    register_features,
    register_job_kinds,
)

if TYPE_CHECKING:
    from invite_bot.features.notify.watcher import Watcher

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """Everything one bot is made of. Only the command line, the runtime and tests hold it;
    a feature is given the parts it uses, never this."""

    settings: Settings
    metrics: Metrics  # this bot's numbers, served at GET /metrics (a registry of its own)
    store: Store
    gencove: GencoveClient
    slack: AsyncWebClient
    outbound: Outbound  # every message the bot sends goes out through it
    guard: Guard  # runs every listener: ack, dedupe, a visible outcome; drains at stop
    jobs: Jobs
    features: Features

    def watcher(self) -> Watcher:
        """The watcher of this bot (imported only where one runs: `serve --no-watch` never
        polls)."""
        from invite_bot.features.notify.watcher import Watcher

        return Watcher(
            store=self.store,
            gencove=self.gencove,
            outbound=self.outbound,
            metrics=self.metrics,
            settings=self.settings,
            messages=self.jobs.messages,
            settle_requests=self.features.settle_requests,
            instance=self.jobs.holding.instance,
        )


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


def gencove_client(settings: Settings, *, observer: RequestObserver | None = None) -> GencoveClient:
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
    """The bot's parts, on `store` (open, and closed by the caller)."""
    metrics = Metrics()
    client = slack_client(settings, observer=metrics)
    gencove = gencove_client(settings, observer=metrics)
    outbound = Outbound(
        client,
        redactor=redactor_for(settings.secrets()),  # what the bot sends Slack, like its logs
        response_hosts=response_hosts(settings.slack_api_url),
        sandbox=settings.gencove_sandbox,
    )
    secret = settings.invite_bot_secret_key
    vault = Vault(secret.get_secret_value()) if secret else None
    learn = _secrets_learned(outbound)
    keys = KeyRing(store, vault, learn=learn)
    kinds = JobKinds()
    jobs = Jobs(
        store=store,
        gencove=gencove,
        outbound=outbound,
        metrics=metrics,
        keys=keys,
        kinds=kinds,
        instance=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        lease=timedelta(seconds=settings.invite_job_lease),
        notify_channel=settings.invite_notify_channel,
    )
    features = make_features(
        Parts(settings, store, gencove, outbound, client, vault, keys, jobs, learn)
    )
    register_job_kinds(kinds, features)
    guard = Guard(
        outbound=outbound,
        first_delivery=lambda key: store.write(lambda tx: tx.deliveries.claim(key)),
        metrics=metrics,
    )
    return Bot(settings, metrics, store, gencove, client, outbound, guard, jobs, features)


def _secrets_learned(outbound: Outbound) -> Callable[[str], None]:
    """What to do with a secret learned at run time (a personal key): redact it from what
    this bot sends Slack, and from the process's logs."""

    def learn(secret: str) -> None:
        outbound.learn(secret)
        redact_also(secret)

    return learn


def build_app(bot: Bot, identity: dict[str, Any]) -> AsyncApp:
    """The Bolt app with every listener registered.

    `identity` is the `auth.test` answer taken once at start-up, so Bolt never calls
    Slack before a request is acknowledged.
    """
    app = _bolt_app(bot, identity)
    app.use(attach_request)  # the SlackRequest, read once, in every listener's context
    router = Router(bot.guard, parse=parse_command, command=COMMAND)
    register_features(router, bot.features)
    bot.metrics.name_requests(router.names)
    router.attach(app)

    @app.error
    async def on_error(error: Exception) -> None:
        log.error("unhandled error in a listener: %s", type(error).__name__)

    return app


def _bolt_app(bot: Bot, identity: dict[str, Any]) -> AsyncApp:
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
        return AsyncApp(
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


class _Without(logging.Filter):
    """Drops the log records whose message is `message`."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self._message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._message
