"""The organization's roles, cached: they change rarely and forms need them fast."""

from __future__ import annotations

from invite_bot.domain.keyed import TtlCache
from invite_bot.gencove.client import GencoveClient

CACHE_SECONDS = 600.0
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
