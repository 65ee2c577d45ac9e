"""The schema is created and upgraded by the bot itself, safely from every replica."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from invite_bot.store import Store, migrate
from invite_bot.store.schema import metadata
from tests.store.conftest import OpenStore
from tests.store.rows import invitation

HEAD = "0005"  # the newest migration
VERSIONS = Path(migrate.__file__).parent / "migrations" / "versions"
TABLES = {
    "alembic_version",
    "audit_log",
    "deliveries",
    "invitations",
    "invite_job_items",
    "invite_jobs",
    "invite_request_messages",
    "invite_requests",
    "leases",
    "address_claims",
    "linked_accounts",
    "notify_preferences",
    "reinvites",
    "reminders",
    "outbox",
    "state",
    "subscriptions",
}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A plain engine on the same database, to look at it from outside the store."""
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def revision(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return str(
            (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        )


async def test_open_on_an_empty_database_creates_every_table(
    store: Store, engine: AsyncEngine
) -> None:
    assert await tables(engine) == TABLES
    assert await revision(engine) == HEAD


async def test_migrating_again_changes_nothing_and_keeps_the_data(
    store: Store, open_store: OpenStore, engine: AsyncEngine
) -> None:
    await store.invitations.record([invitation()])

    await store.migrate()
    await store.migrate()
    reopened = await open_store()

    assert await revision(engine) == HEAD
    assert await reopened.invitations.count() == 1


async def test_two_processes_starting_at_once_both_open_the_store(
    open_store: OpenStore, engine: AsyncEngine
) -> None:
    first, second = await asyncio.gather(open_store(), open_store())

    assert await first.ping()
    assert await second.ping()
    assert await revision(engine) == HEAD


async def test_open_without_migrate_leaves_the_database_alone(
    database_url: str, engine: AsyncEngine
) -> None:
    store = await Store.open(database_url, migrate=False)
    try:
        assert await store.ping()
    finally:
        await store.close()

    assert await tables(engine) == set()


async def test_migrated_database_matches_the_tables_in_schema_py(
    store: Store, engine: AsyncEngine
) -> None:
    def differences(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []


def test_the_head_revision_constant_is_the_newest_migration_script() -> None:
    """`HEAD_REVISION` lets a process at head skip Alembic: it must follow the scripts."""
    scripts = sorted(VERSIONS.glob("[0-9]*.py"))
    revisions = [re.search(r'^revision: str = "(\w+)"', p.read_text(), re.M) for p in scripts]

    assert migrate.script_head() == migrate.HEAD_REVISION == HEAD
    assert [m.group(1) for m in revisions if m] == [p.name.split("_")[0] for p in scripts]
    assert migrate.expected_revision() == HEAD


async def test_the_revision_is_read_without_alembic(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await migrate.current_revision(conn) is None  # never migrated

    await migrate.upgrade(engine, "0003")

    async with engine.connect() as conn:
        assert await migrate.current_revision(conn) == "0003"


async def test_a_schema_behind_is_upgraded_when_the_store_opens(
    database_url: str, engine: AsyncEngine
) -> None:
    await migrate.upgrade(engine, "0004")
    assert await revision(engine) == "0004"

    store = await Store.open(database_url)
    await store.close()

    assert await revision(engine) == HEAD
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda c: inspect(c).get_columns("invite_jobs"))
    assert "kind" in {column["name"] for column in columns}  # added by 0005
