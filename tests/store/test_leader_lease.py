"""Only one replica at a time is the watcher; a dead leader is replaced."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from invite_bot.store import Store, normalise_database_url
from invite_bot.store.store import open_runner
from tests.support.store import OpenStore

TTL = timedelta(seconds=30)


async def test_second_owner_waits_while_the_first_holds_and_takes_over_after_release(
    open_store: OpenStore,
) -> None:
    first, second = await open_store(), await open_store()
    a = first.leases.leadership("watcher", owner="replica-a", ttl=TTL)
    b = second.leases.leadership("watcher", owner="replica-b", ttl=TTL)

    assert await a.try_acquire() is True
    assert await b.try_acquire() is False
    assert await a.try_acquire() is True  # holding it already
    assert await a.renew() is True
    assert (a.held, b.held) == (True, False)

    await a.release()

    assert a.held is False
    assert await b.try_acquire() is True
    assert await a.try_acquire() is False


async def test_leases_with_different_names_are_independent(store: Store) -> None:
    watcher = store.leases.leadership("watcher", owner="replica-a", ttl=TTL)
    other = store.leases.leadership("janitor", owner="replica-b", ttl=TTL)

    assert await watcher.try_acquire() is True
    assert await other.try_acquire() is True


async def test_closing_the_store_hands_leadership_over(open_store: OpenStore) -> None:
    first, second = await open_store(), await open_store()
    a = first.leases.leadership("watcher", owner="replica-a", ttl=TTL)
    b = second.leases.leadership("watcher", owner="replica-b", ttl=TTL)
    assert await a.try_acquire() is True

    await first.close()

    assert await b.try_acquire() is True


# The PostgreSQL lease has no expiry: it ends with its connection (the next test).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_lease_of_a_silent_holder_expires_after_its_ttl(
    open_store: OpenStore,
) -> None:
    first, second = await open_store(), await open_store()
    assert first.dialect == "sqlite"
    ttl = timedelta(milliseconds=300)
    a = first.leases.leadership("watcher", owner="replica-a", ttl=ttl)
    b = second.leases.leadership("watcher", owner="replica-b", ttl=ttl)
    assert await a.try_acquire() is True
    assert await b.try_acquire() is False

    await asyncio.sleep(0.4)

    assert await b.try_acquire() is True
    assert await a.renew() is False
    assert a.held is False


# Only PostgreSQL ties the lease to a connection.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_lease_is_free_the_moment_its_holder_connection_dies(
    open_store: OpenStore, database_url: str
) -> None:
    first, second = await open_store(), await open_store()
    assert first.dialect == "postgresql"
    a = first.leases.leadership("watcher", owner="replica-a", ttl=TTL)
    b = second.leases.leadership("watcher", owner="replica-b", ttl=TTL)
    assert await a.try_acquire() is True
    assert await b.try_acquire() is False

    # What the server sees when the leader's process is killed with -9.
    killer = create_async_engine(database_url)
    try:
        async with killer.connect() as conn:
            killed = await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND granted"
                    " AND database = (SELECT oid FROM pg_database"
                    "                 WHERE datname = current_database())"
                )
            )
            assert killed.scalars().all() == [True]
    finally:
        await killer.dispose()

    assert await b.try_acquire() is True
    assert await a.renew() is False
    assert a.held is False
    assert await b.renew() is True


# A file on disk: the keeper opens it a second time from its own thread.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_kept_sqlite_lease_survives_an_event_loop_blocked_past_its_ttl(
    open_store: OpenStore,
) -> None:
    first, second = await open_store(), await open_store()
    assert first.dialect == "sqlite"
    ttl = timedelta(seconds=1)
    a = first.leases.leadership("watcher", owner="replica-a", ttl=ttl)
    b = second.leases.leadership("watcher", owner="replica-b", ttl=ttl)
    a.keep_renewed()
    assert await a.try_acquire() is True

    # What a burst of requests does to the event loop: nothing else runs on it meanwhile.
    time.sleep(3 * ttl.total_seconds())

    assert await b.try_acquire() is False
    assert await a.renew() is True
    await a.release()
    assert await b.try_acquire() is True


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_kept_lease_taken_over_by_another_owner_is_known_lost(
    open_store: OpenStore, database_url: str
) -> None:
    first = await open_store()
    ttl = timedelta(seconds=1)
    a = first.leases.leadership("watcher", owner="replica-a", ttl=ttl)
    a.keep_renewed()
    assert await a.try_acquire() is True
    # Another replica writes itself in (what a takeover after a lapse leaves in the row).
    elsewhere = open_runner(normalise_database_url(database_url))
    try:
        await elsewhere.write(
            lambda conn: conn.execute(
                text("UPDATE leases SET owner = 'replica-b' WHERE name = 'watcher'")
            )
        )
    finally:
        await elsewhere.close()

    await asyncio.sleep(ttl.total_seconds())

    assert await a.renew() is False
    assert a.held is False
    await a.release()
