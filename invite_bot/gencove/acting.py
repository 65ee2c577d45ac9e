"""Acting as a person at Gencove: their own linked key when they have one (so Gencove
records who did it), else the organization's key."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from invite_bot.gencove.errors import GencoveForbidden, GencoveUnauthorized
from invite_bot.gencove.models import Credentials

log = logging.getLogger(__name__)

T = TypeVar("T")
Call = Callable[[Credentials | None], Awaitable[T]]


class LinkedKeys(Protocol):
    """Where a Slack user's linked Gencove key is kept."""

    async def credentials_for(self, slack_user_id: str) -> Credentials | None:
        """The user's own key, or None when they linked none (or it cannot be read)."""
        ...


async def act_with(credentials: Credentials | None, call: Call[T]) -> tuple[T, bool]:
    """`call` with the person's credentials (None: the organization key); the result, and
    whether their key made it. When Gencove refuses their key the organization key is used:
    the bot's own permission check already allowed the action."""
    if credentials is None:
        return await call(None), False
    try:
        return await call(credentials), True
    except (GencoveForbidden, GencoveUnauthorized) as exc:
        # Forbidden: its owner may not manage invitations. Unauthorized: the key was
        # revoked (whoami and accept tell the user to link a current one).
        log.info("linked key refused (%s); using the organization key", type(exc).__name__)
        return await call(None), False


async def as_actor(keys: LinkedKeys, slack_user_id: str, call: Call[T]) -> tuple[T, bool]:
    """`act_with` the user's linked key, looked up now."""
    return await act_with(await keys.credentials_for(slack_user_id), call)
