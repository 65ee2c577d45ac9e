"""The organization's roles, cached: they change rarely and forms need them fast."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from invite_bot.domain.keyed import TtlCache
from invite_bot.gencove.client import GencoveClient
from invite_bot.gencove.errors import GencoveError

log = logging.getLogger(__name__)

CACHE_SECONDS = 600.0


@dataclass(frozen=True)
class UnknownRole:
    """A role typed that is none of the organization's; `roles`: the ones it has."""

    typed: str
    roles: tuple[str, ...]


_KEY = "roles"  # the cache's one key


class Roles:
    """The role names of one organization, read from Gencove at most every ten minutes."""

    def __init__(self, gencove: GencoveClient) -> None:
        self._gencove = gencove
        self._cache: TtlCache[str, list[str]] = TtlCache(CACHE_SECONDS)

    async def names(self, *, fresh: bool = False) -> list[str]:
        """The role names; `fresh`: read from Gencove now (a role added a minute ago)."""
        if fresh:
            self._cache.clear()

        async def load() -> list[str]:
            return [role.name for role in await self._gencove.list_roles()]

        return await self._cache.get_or_load(_KEY, load)

    def cached(self) -> list[str] | None:
        """The roles if they were read recently, without asking Gencove."""
        return self._cache.get(_KEY)

    async def organization_role(self, typed: str) -> str | UnknownRole:
        """The organization's name for the role typed (`Admin` is its `admin`), or that it
        is none of its roles (read again once, for a role added since the last read). When
        Gencove cannot list them, the role goes as typed: Gencove then refuses an unknown
        one for each address."""
        try:
            cached = self.cached()
            names = cached if cached is not None else await self.names()
            if typed not in names and cached is not None:
                names = await self.names(fresh=True)
        except GencoveError as exc:
            log.warning("roles unavailable to check a role: %s", exc.message)
            return typed
        if typed in names:
            return typed
        same = [name for name in names if name.casefold() == typed.casefold()]
        return same[0] if len(same) == 1 else UnknownRole(typed, tuple(names))
