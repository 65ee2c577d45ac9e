"""Leadership: only one replica at a time polls Gencove and sends the outbox.

PostgreSQL holds a session-level advisory lock on a dedicated connection: when the holder
dies (even `kill -9`) its connection drops and the server frees the lock at once.
SQLite (one host, one file) uses a row with an expiry that the holder keeps renewing.
`Leases` hands out one lease object per (name, owner) and releases them when the store closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from abc import ABC, abstractmethod
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from invite_bot.store.drivers import insert
from invite_bot.store.lease_keeper import LeaseKeeper
from invite_bot.store.repositories.repository import delete_count, update_count
from invite_bot.store.runner import Runner
from invite_bot.store.schema import leases, utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

# True while this session holds the advisory lock `key` (pg_locks splits it in two oids).
_HOLDS_ADVISORY_LOCK = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
    " AND pid = pg_backend_pid() AND granted AND objsubid = 1"
    " AND ((classid::bigint << 32) | objid::bigint) = :key)"
)

# The least time a PostgreSQL lease check may take before the lease counts as lost.
_PG_ANSWER_FLOOR = 5.0


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock id for `name`, the same in every process and release
    (Python's hash() is salted per process); positive so pg_locks compares it plainly."""
    digest = hashlib.blake2b(f"invite-bot:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


class LeaderLease(ABC):
    """Exclusive, renewable right of one owner to do the work called `name`.

    Call renew() before each unit of work and stop at once when it returns False.
    `owner` must be unique per process (e.g. host:pid:uuid).
    """

    def __init__(self, name: str, *, owner: str, ttl: timedelta) -> None:
        self.name = name
        self.owner = owner
        self.ttl = ttl

    @property
    def ttl(self) -> timedelta:
        """SQLite: how long the lease lasts unrenewed. PostgreSQL: how long the database
        may take to answer before the lease counts as lost."""
        return self._ttl

    @ttl.setter
    def ttl(self, value: timedelta) -> None:
        if value <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._ttl = value

    @property
    @abstractmethod
    def held(self) -> bool:
        """Whether this object believes it holds the lease (renew() checks the database)."""

    @abstractmethod
    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True when held afterwards (also if already)."""

    @abstractmethod
    async def renew(self) -> bool:
        """Confirm and extend the lease; False means it was lost and work must stop."""

    @abstractmethod
    async def release(self) -> None:
        """Give the lease up so another replica can take over without waiting."""

    @abstractmethod
    def keep_renewed(self) -> None:
        """Renew the lease off the event loop from now on, where its kind needs renewing
        at all (renew() then answers from memory)."""


class AdvisoryLockLease(LeaderLease):
    """PostgreSQL: `pg_try_advisory_lock` held by a connection kept out of the pool."""

    def __init__(self, engine: AsyncEngine, name: str, *, owner: str, ttl: timedelta) -> None:
        super().__init__(name, owner=owner, ttl=ttl)
        self._engine = engine
        self._key = advisory_key(f"lease:{name}")
        self._conn: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def keep_renewed(self) -> None:
        """Nothing to do: the lock lasts as long as its connection, however busy the loop."""

    async def try_acquire(self) -> bool:
        if self._conn is not None:
            return await self.renew()
        conn = await self._engine.connect()
        try:
            # Autocommit: the lock belongs to the session, no transaction is left open.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            async with asyncio.timeout(self.ttl.total_seconds()):
                result = await conn.execute(select(func.pg_try_advisory_lock(self._key)))
                got = bool(result.scalar_one())
        except BaseException:
            await _discard(conn)  # it may hold the lock: never hand it back to the pool
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        logger.info("leader lease %r taken by %s", self.name, self.owner)
        return True

    async def renew(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            # A link that cannot answer in time is as good as lost. Not less than a few
            # seconds: a busy event loop must not count as a dead link, and while the
            # server keeps this session no other replica can take the lock anyway.
            async with asyncio.timeout(max(_PG_ANSWER_FLOOR, self.ttl.total_seconds())):
                result = await conn.execute(_HOLDS_ADVISORY_LOCK, {"key": self._key})
                still_held = bool(result.scalar_one())
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            logger.warning("leader lease %r lost by %s: %s", self.name, self.owner, error)
            still_held = False
        if not still_held:
            self._conn = None
            await _discard(conn)
        return still_held

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            async with asyncio.timeout(self.ttl.total_seconds()):
                await conn.execute(select(func.pg_advisory_unlock(self._key)))
        except (SQLAlchemyError, OSError, TimeoutError):
            await _discard(conn)  # closing the session frees the lock as well
            return
        await conn.close()
        logger.info("leader lease %r released by %s", self.name, self.owner)


class RowLease(LeaderLease):
    """SQLite: a row (name, owner, expires_at) changed only by atomic conditional writes."""

    def __init__(self, runner: Runner, name: str, *, owner: str, ttl: timedelta) -> None:
        super().__init__(name, owner=owner, ttl=ttl)
        self._runner = runner
        self._held = False
        self._kept = False  # renewed by a LeaseKeeper thread while held (keep_renewed)
        self._keeper: LeaseKeeper | None = None

    def keep_renewed(self) -> None:
        # Only a file can be opened a second time; an in-memory database stays manual.
        self._kept = self._runner.file is not None

    @property
    def held(self) -> bool:
        return self._held

    async def try_acquire(self) -> bool:
        if self._keeper is not None and await self.renew():
            return True
        started = time.monotonic()
        taken = await self._runner.write(self._take)
        if taken and not self._held:
            logger.info("leader lease %r taken by %s", self.name, self.owner)
        self._held = taken
        if taken and self._kept and self._runner.file is not None:
            self._keeper = LeaseKeeper(self._runner.file, self.name, owner=self.owner, ttl=self.ttl)
            self._keeper.start(taken_at=started)
        return taken

    async def renew(self) -> bool:
        if not self._held:
            return False
        if self._keeper is not None:
            if self._keeper.valid():
                return True
            await self._stop_keeper()
            self._held = False
            return False
        try:
            renewed = await self._runner.write(self._extend)
        except SQLAlchemyError as error:
            logger.warning("leader lease %r lost by %s: %s", self.name, self.owner, error)
            renewed = False
        if not renewed:
            self._held = False
        return renewed

    def _take(self, conn: Connection) -> bool:
        """Insert the lease row, or take it over from this owner or an expired one."""
        now = utcnow()
        stmt = insert(conn.dialect.name, leases).values(
            name=self.name, owner=self.owner, expires_at=now + self.ttl
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[leases.c.name],
            set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
            where=or_(leases.c.owner == self.owner, leases.c.expires_at <= now),
        )
        return conn.execute(stmt.returning(leases.c.owner)).first() is not None

    def _extend(self, conn: Connection) -> bool:
        now = utcnow()
        count = update_count(
            conn,
            leases,
            leases.c.name == self.name,
            leases.c.owner == self.owner,
            leases.c.expires_at > now,
            values={"expires_at": now + self.ttl},
        )
        return count == 1

    def _delete(self, conn: Connection) -> None:
        delete_count(conn, leases, leases.c.name == self.name, leases.c.owner == self.owner)

    async def _stop_keeper(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            await asyncio.to_thread(keeper.stop)

    async def release(self) -> None:
        await self._stop_keeper()
        if not self._held:
            return
        self._held = False
        await self._runner.write(self._delete)
        logger.info("leader lease %r released by %s", self.name, self.owner)


class Leases:
    """The leader leases of one store, one object per (name, owner)."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        # Strong references: a lease dropped by its caller must still be released on close.
        self._leases: dict[tuple[str, str], LeaderLease] = {}

    def leadership(self, name: str, *, owner: str, ttl: timedelta) -> LeaderLease:
        """The lease for `name` as `owner` (the same object when asked again; see
        LeaderLease). Store.close() releases it if still held."""
        lease = self._leases.get((name, owner))
        if lease is None:
            if self._runner.engine is not None:
                lease = AdvisoryLockLease(self._runner.engine, name, owner=owner, ttl=ttl)
            else:
                lease = RowLease(self._runner, name, owner=owner, ttl=ttl)
            self._leases[name, owner] = lease
        lease.ttl = ttl
        return lease

    async def release_all(self) -> None:
        """Give up every lease held, so another replica takes over now; never raises."""
        for lease in list(self._leases.values()):
            try:
                await lease.release()
            except Exception:
                logger.exception("could not release leader lease %r", lease.name)


async def _discard(conn: AsyncConnection) -> None:
    """Close the connection's session for good (not back into the pool)."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
