"""The store: everything the bot must remember across restarts and share between replicas.

`Store` is the one object the bot holds: its life cycle (open, migrate, ping, close), one
repository per concern as attributes (`store.jobs`, `store.outbox`, ... see work.py) and
`unit_of_work()` for writes that must land together. Every other write is one short
transaction. Exactly-once promises rest on unique constraints and INSERT ... ON CONFLICT,
never on read-then-write, so they hold across processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from invite_bot.domain.health import DatabaseFacts

from . import migrate as migrations
from .db import Database, Transaction
from .engine import create_engine, normalise_database_url, redact
from .leases import Leases
from .state import WATCHER_POLLED
from .unavailable import unavailable
from .work import Repositories, UnitOfWork

logger = logging.getLogger(__name__)

# Seconds /healthz waits for the database before calling it down.
_PING_TIMEOUT = 5.0


class Store(Repositories):
    """Durable state behind a small async interface; open one per process and share it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._db = Database(engine)
        super().__init__(self._db)
        self.leases = Leases(self._db)
        self.dialect: str = self._db.dialect

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to `url` (any SQLite/PostgreSQL URL form) and, by default, migrate."""
        url = normalise_database_url(url)
        store = cls(create_engine(url))
        if migrate:
            try:
                await store.migrate()
            except BaseException:
                await store.close()
                raise
        store._db.note_file()  # a SQLite file deleted or replaced later is noticed
        logger.info("store open: %s", redact(url))
        return store

    async def close(self) -> None:
        """Release held leader leases (so another replica takes over now) and disconnect."""
        await self.leases.release_all()
        await self._db.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def migrate(self) -> None:
        """Bring the schema to the newest revision; safe to call from every replica."""
        await migrations.upgrade(self._db.engine)

    async def ping(self) -> bool:
        """Whether the database answers (for /healthz); never raises, never hangs."""
        try:
            async with asyncio.timeout(_PING_TIMEOUT), self._db.read() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as error:
            failure = unavailable(error)
            kind = failure.kind if failure else type(error).__name__
            logger.warning("database ping failed: %s", kind)
            return False
        return True

    async def health(self) -> DatabaseFacts:
        """What /healthz needs from the database; never raises, never hangs."""
        expected = migrations.expected_revision()
        try:
            async with asyncio.timeout(_PING_TIMEOUT):
                async with self._db.read() as conn:
                    current = await migrations.current_revision(conn)
                if current != expected:
                    return DatabaseFacts(None, current, expected)
                waiting, oldest = await self.outbox.backlog()
                last_poll = await self.state.changed_at(WATCHER_POLLED)
        except Exception as error:
            failure = unavailable(error)
            kind = failure.kind if failure else type(error).__name__
            logger.warning("database unavailable: %s (health check)", kind)
            return DatabaseFacts(kind, None, expected)
        return DatabaseFacts(None, current, expected, last_poll, waiting, oldest)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """Writes that must land together: all of them, or none (an exception rolls back).

        `async with store.unit_of_work() as work:` then write through `work.jobs`,
        `work.audit`, ... Writes through `store.…` by the same task join it too, and so
        does a nested unit of work (which then commits nothing of its own). Await nothing
        but the store inside, and start no task there: on SQLite it holds the write lock.
        """
        async with self._db.write() as conn:
            transaction = Transaction(self._db.dialect, conn)
            try:
                yield UnitOfWork(transaction)
            finally:
                transaction.end()
