"""The store: everything the bot must remember across restarts and share between replicas.

`Store` is the one object the bot holds: its life cycle (open, migrate, ping, health,
close), the leader leases (`store.leases`), and the two ways in, each one hop:

    job = await store.read(lambda tx: tx.jobs.get(job_id))        # read-only
    made = await store.write(lambda tx: make_job(tx, new_job))    # one transaction

A unit of work is a plain synchronous function of a `Tx` (tx.py: one repository per
concern, bound to one connection), so nothing but the store is awaited inside a
transaction. Exactly-once promises rest on unique constraints and INSERT ... ON
CONFLICT, never on read-then-write across units of work, so they hold across processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from invite_bot.domain.health import DatabaseFacts
from invite_bot.store import migrate as migrations
from invite_bot.store.drivers import normalise_database_url, redact
from invite_bot.store.leases import Leases
from invite_bot.store.repositories.state import WATCHER_POLLED
from invite_bot.store.runner import Runner
from invite_bot.store.tx import Tx
from invite_bot.store.unavailable import unavailable

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds /healthz waits for the database before calling it down.
_PING_TIMEOUT = 5.0


class Store:
    """Durable state behind a small async interface; open one per process and share it."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self.leases = Leases(runner)
        self.dialect: str = runner.dialect

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to `url` (any SQLite/PostgreSQL URL form) and, by default, migrate."""
        url = normalise_database_url(url)
        store = cls(open_runner(url))
        if migrate:
            try:
                await store.migrate()
            except BaseException:
                await store.close()
                raise
        store._runner.note_file()  # a SQLite file deleted or replaced later is noticed
        logger.info("store open: %s", redact(url))
        return store

    async def read(self, work: Callable[[Tx], T]) -> T:
        """`work(tx)` on a read-only connection, in one hop; it sees committed rows only."""
        return await self._runner.read(_on_tx(work))

    async def write(self, work: Callable[[Tx], T]) -> T:
        """`work(tx)` in one transaction, in one hop: everything it wrote lands if it
        returns, nothing if it raises (the exception is re-raised). On SQLite the
        process's writes run one at a time."""
        return await self._runner.write(_on_tx(work))

    async def close(self) -> None:
        """Release held leader leases (so another replica takes over now) and disconnect."""
        await self.leases.release_all()
        await self._runner.close()

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
        await self._runner.write(migrations.upgrade)

    async def ping(self) -> bool:
        """Whether the database answers (for /healthz); never raises, never hangs."""
        try:
            async with asyncio.timeout(_PING_TIMEOUT):
                await self._runner.read(_select_one)
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
                facts = await self.read(_health)
        except Exception as error:
            failure = unavailable(error)
            kind = failure.kind if failure else type(error).__name__
            logger.warning("database unavailable: %s (health check)", kind)
            return DatabaseFacts(kind, None, expected)
        return facts


def _on_tx(work: Callable[[Tx], T]) -> Callable[[Connection], T]:
    def on_connection(conn: Connection) -> T:
        return work(Tx(conn))

    return on_connection


def _select_one(conn: Connection) -> None:
    conn.execute(text("SELECT 1"))


def _health(tx: Tx) -> DatabaseFacts:
    """The schema's revision and, at the expected one, the outbox and the last poll."""
    expected = migrations.expected_revision()
    current = migrations.current_revision(tx.conn)
    if current != expected:
        return DatabaseFacts(None, current, expected)
    waiting, oldest = tx.outbox.backlog()
    last_poll = tx.state.changed_at(WATCHER_POLLED)
    return DatabaseFacts(None, current, expected, last_poll, waiting, oldest)


def open_runner(url: str) -> Runner:
    """The runner for `url` (normalised): threads for SQLite, asyncpg for PostgreSQL, whose
    module (and SQLAlchemy's asyncio extension) is imported only then."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        from invite_bot.store.sqlite_runner import SqliteRunner

        return SqliteRunner(url)
    if backend == "postgresql":
        from invite_bot.store.postgres_runner import PostgresRunner

        return PostgresRunner(url)
    raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")
