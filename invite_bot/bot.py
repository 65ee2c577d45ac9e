"""Everything a listener needs, built once per process and shared by every request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.config.logs import redact_also
from invite_bot.config.metrics import Metrics
from invite_bot.config.settings import Settings
from invite_bot.config.vault import Vault
from invite_bot.domain.keyed import TtlCache
from invite_bot.domain.ratelimit import SlidingWindow
from invite_bot.gencove import (
    Credentials,
    GencoveClient,
    GencoveForbidden,
    GencoveUnauthorized,
)
from invite_bot.jobs.kinds import JobKinds
from invite_bot.jobs.pending import PendingList
from invite_bot.slack.guard import Guard
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.people import Inviters
from invite_bot.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")

ROLES_CACHE_SECONDS = 600.0
_ROLES = "roles"  # the roles cache's one key
# How long an invite job stays with the process running it without a renewal. The owner
# renews it every third of this while it works, so a job whose process died is taken over
# by another (or a restarted) process within about this long.
DEFAULT_JOB_LEASE = timedelta(seconds=15)


@dataclass
class Bot:
    """The process-wide services: settings, Gencove, the store and the Slack client."""

    settings: Settings
    gencove: GencoveClient
    store: Store
    slack: AsyncWebClient
    outbound: Outbound  # every message the bot sends goes out through it
    guard: Guard  # runs every listener: ack, dedupe, a visible outcome; drains at stop
    kinds: JobKinds  # the job kinds and message owners the features registered
    inviters: Inviters
    limiter: SlidingWindow
    vault: Vault | None
    instance: str
    job_lease: timedelta = DEFAULT_JOB_LEASE
    # this process's numbers, served at GET /metrics (its own registry: one per bot)
    metrics: Metrics = field(default_factory=Metrics)
    _roles: TtlCache[str, list[str]] = field(
        default_factory=lambda: TtlCache(ROLES_CACHE_SECONDS), repr=False
    )
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    # invite jobs this process is running, or waiting to take over from a silent owner
    jobs_here: set[int] = field(default_factory=set)
    # revokes count against INVITE_RATE_LIMIT too, in a window of their own
    revokes: SlidingWindow | None = None
    # Gencove's pending list, one read shared by the invite jobs that start together
    pending_list: PendingList = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.revokes is None:
            self.revokes = SlidingWindow(self.limiter.rate)
        self.pending_list = PendingList(self.gencove)

    async def credentials_for(self, slack_user_id: str) -> Credentials | None:
        """The user's own linked Gencove key, if any (so Gencove records the real actor)."""
        if self.vault is None:
            return None
        link = await self.store.read(lambda tx: tx.links.get(slack_user_id))
        if link is None:
            return None
        try:
            key = self.vault.decrypt(link.ciphertext)
        except ValueError:
            log.warning("a linked key could not be decrypted; using the organization key")
            return None
        redact_also(key)
        if not self.vault.is_current(link.ciphertext):
            # Written under an older key: re-encrypt, so that key can be retired.
            ciphertext = self.vault.rotate(link.ciphertext)
            await self.store.write(
                lambda tx: tx.links.save(
                    slack_user_id,
                    ciphertext=ciphertext,
                    gencove_user_id=link.gencove_user_id,
                    gencove_email=link.gencove_email,
                )
            )
        return Credentials.api_key(key)

    async def as_actor(
        self, slack_user_id: str, call: Callable[[Credentials | None], Awaitable[T]]
    ) -> tuple[T, bool]:
        """Make a Gencove change as the user's linked key, else the organization key.

        Returns the result and whether the linked key made it. When Gencove forbids the
        linked key (its owner may not manage invitations there) the organization key is
        used: the bot's own permission check already allowed the action.
        """
        return await self.act_with(await self.credentials_for(slack_user_id), call)

    async def act_with(
        self, credentials: Credentials | None, call: Callable[[Credentials | None], Awaitable[T]]
    ) -> tuple[T, bool]:
        """`as_actor` with the user's credentials already looked up (None: the org key)."""
        if credentials is None:
            return await call(None), False
        try:
            return await call(credentials), True
        except (GencoveForbidden, GencoveUnauthorized) as exc:
            # Forbidden: its owner may not manage invitations. Unauthorized: the key was
            # revoked (whoami and accept tell the user to link a current one).
            log.info("linked key refused (%s); using the organization key", type(exc).__name__)
            return await call(None), False

    async def role_names(self) -> list[str]:
        """The organization's roles, cached: they change rarely and modals need them fast."""

        async def load() -> list[str]:
            return [role.name for role in await self.gencove.list_roles()]

        return await self._roles.get_or_load(_ROLES, load)

    def cached_roles(self) -> list[str] | None:
        """The roles if they were read recently, without asking Gencove."""
        return self._roles.get(_ROLES)

    async def notification_channels(self, *, besides: str | None = None) -> list[str]:
        """Subscribed channels plus INVITE_NOTIFY_CHANNEL, once each, minus `besides`."""
        subscribed = await self.store.read(lambda tx: tx.subscriptions.all())
        channels = [s.channel_id for s in subscribed]
        if self.settings.invite_notify_channel:
            channels.append(self.settings.invite_notify_channel)
        return [c for c in dict.fromkeys(channels) if c != besides]

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run work in the background, keeping a reference so it is not collected."""
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task
