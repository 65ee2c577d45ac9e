"""PostgreSQL: asyncpg under SQLAlchemy's async engine, and the store's synchronous units
of work run through `AsyncConnection.run_sync` (on the event loop, no thread)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from invite_bot.store.drivers import postgres_engine
from invite_bot.store.runner import Phase, Runner, T, reraise


class PostgresRunner(Runner):
    """Units of work on a PostgreSQL server; `engine` is also the leader leases'."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = postgres_engine(url)

    async def write(self, work: Callable[[Connection], T]) -> T:
        phase = Phase()
        try:
            async with self.engine.begin() as conn:
                phase.inside = True
                result = await conn.run_sync(work)
                phase.inside = False
        except Exception as exc:
            if (failure := reraise(exc, phase)) is None:
                raise
            raise failure from exc
        return result

    async def read(self, work: Callable[[Connection], T]) -> T:
        phase = Phase()
        try:
            async with self.engine.connect() as conn:
                phase.inside = True
                result = await conn.run_sync(work)
                phase.inside = False
        except Exception as exc:
            if (failure := reraise(exc, phase)) is None:
                raise
            raise failure from exc
        return result

    async def close(self) -> None:
        await self.engine.dispose()
