"""Alembic environment for the store.

The bot runs it through `invite_bot.store.migrate.upgrade`, which passes an open
connection (already in a transaction, under the migration lock) as
`config.attributes["connection"]`. Without one, e.g. when a developer generates a revision
with `command.revision(alembic_config(url=...), autogenerate=True)`, it connects itself.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from invite_bot.store.drivers import DEFAULT_DATABASE_URL, normalise_database_url
from invite_bot.store.schema import metadata
from invite_bot.store.store import open_runner

config = context.config


def _target_url() -> str:
    url = config.attributes.get("url") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    return normalise_database_url(str(url))


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: later migrations rebuild tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    """On the store's own runner: SQLite's writer thread, or PostgreSQL's run_sync."""
    runner = open_runner(_target_url())
    try:
        await runner.write(run_on)
    finally:
        await runner.close()


def run_offline() -> None:
    context.configure(
        url=_target_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (given := config.attributes.get("connection")) is not None:
    run_on(given)
else:
    asyncio.run(run_standalone())
