"""The schema is created and upgraded by the bot itself, safely from every replica."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, text

from invite_bot.store import BulkDraft, Store, migrate, normalise_database_url
from invite_bot.store.runner import Runner
from invite_bot.store.schema import metadata, state, utcnow
from invite_bot.store.store import open_runner
from tests.support.store import OpenStore, invitation

HEAD = "0010"  # the newest migration
VERSIONS = Path(migrate.__file__).parent / "migrations" / "versions"
TABLES = {
    "alembic_version",
    "audit_log",
    "deliveries",
    "home_tabs",
    "invitations",
    "invite_job_items",
    "invite_jobs",
    "invite_request_messages",
    "invite_requests",
    "leases",
    "address_claims",
    "bulk_draft_rows",
    "bulk_drafts",
    "linked_accounts",
    "notify_preferences",
    "reinvites",
    "reminders",
    "request_reminders",
    "outbox",
    "state",
    "subscriptions",
    "workflow_steps",
}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Runner]:
    """Connections of its own on the same database, to look at it from outside the store."""
    runner = open_runner(normalise_database_url(database_url))
    yield runner
    await runner.close()


async def tables(engine: Runner) -> set[str]:
    return await engine.read(lambda c: set(inspect(c).get_table_names()))


async def revision(engine: Runner) -> str:
    def read(conn: Connection) -> str:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())

    return await engine.read(read)


async def test_open_on_an_empty_database_creates_every_table(store: Store, engine: Runner) -> None:
    assert await tables(engine) == TABLES
    assert await revision(engine) == HEAD


async def test_migrating_again_changes_nothing_and_keeps_the_data(
    store: Store, open_store: OpenStore, engine: Runner
) -> None:
    await store.write(lambda tx: tx.invitations.record([invitation()]))

    await store.migrate()
    await store.migrate()
    reopened = await open_store()

    assert await revision(engine) == HEAD
    assert await reopened.read(lambda tx: tx.invitations.count()) == 1


async def test_two_processes_starting_at_once_both_open_the_store(
    open_store: OpenStore, engine: Runner
) -> None:
    first, second = await asyncio.gather(open_store(), open_store())

    assert await first.ping()
    assert await second.ping()
    assert await revision(engine) == HEAD


async def test_open_without_migrate_leaves_the_database_alone(
    database_url: str, engine: Runner
) -> None:
    store = await Store.open(database_url, migrate=False)
    try:
        assert await store.ping()
    finally:
        await store.close()

    assert await tables(engine) == set()


async def test_migrated_database_matches_the_tables_in_schema_py(
    store: Store, engine: Runner
) -> None:
    def differences(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    assert await engine.read(differences) == []


def test_the_head_revision_constant_is_the_newest_migration_script() -> None:
    """`HEAD_REVISION` lets a process at head skip Alembic: it must follow the scripts."""
    scripts = sorted(VERSIONS.glob("[0-9]*.py"))
    revisions = [re.search(r'^revision: str = "(\w+)"', p.read_text(), re.M) for p in scripts]

    assert migrate.script_head() == migrate.HEAD_REVISION == HEAD
    assert [m.group(1) for m in revisions if m] == [p.name.split("_")[0] for p in scripts]
    assert migrate.expected_revision() == HEAD


async def test_the_revision_is_read_without_alembic(engine: Runner) -> None:
    assert await engine.read(migrate.current_revision) is None  # never migrated

    await engine.write(lambda conn: migrate.upgrade(conn, "0003"))

    assert await engine.read(migrate.current_revision) == "0003"


async def test_a_schema_behind_is_upgraded_when_the_store_opens(
    database_url: str, engine: Runner
) -> None:
    await engine.write(lambda conn: migrate.upgrade(conn, "0004"))
    assert await revision(engine) == "0004"

    store = await Store.open(database_url)
    await store.close()

    assert await revision(engine) == HEAD
    columns = await engine.read(lambda c: inspect(c).get_columns("invite_jobs"))
    assert "kind" in {column["name"] for column in columns}  # added by 0005


async def test_bulk_drafts_kept_as_json_move_to_their_own_tables(
    database_url: str, engine: Runner
) -> None:
    waiting = {
        "user_id": "U1",
        "channel_id": "C1",
        "role": None,
        "rows": [["ana@lab.org", None], ["bob@lab.org", "admin"]],
        "source": "cohort.csv",
    }

    def keep_as_json(conn: Connection) -> None:
        migrate.upgrade(conn, "0005")
        for key, value in (("0123456789abcdef", json.dumps(waiting)), ("fedcba9876543210", "{}")):
            conn.execute(
                insert(state).values(key=f"bulk-draft:{key}", value=value, updated_at=utcnow())
            )

    await engine.write(keep_as_json)
    store = await Store.open(database_url)
    try:
        moved = await store.read(lambda tx: tx.drafts.get("0123456789abcdef"))
        used = await store.read(lambda tx: tx.drafts.get("fedcba9876543210"))
        left = await store.read(lambda tx: tx.state.get("bulk-draft:0123456789abcdef"))
    finally:
        await store.close()

    assert moved == BulkDraft(
        id="0123456789abcdef",
        user_id="U1",
        channel_id="C1",
        role=None,
        rows=(("ana@lab.org", None), ("bob@lab.org", "admin")),
        source="cohort.csv",
    )
    assert used is None
    assert left is None
