"""Schema migrations, run by the bot itself at start-up (no alembic.ini to ship or find).

Several replicas may start at once: on PostgreSQL a transaction-level advisory lock makes
the second wait and then find the schema already at head; on SQLite the migration's
BEGIN IMMEDIATE does the same.
"""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .leases import advisory_key

SCRIPT_LOCATION = "invite_bot.store:migrations"


def alembic_config(*, connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for the bundled migrations.

    With `connection`, migrations run on it (inside the caller's transaction); otherwise
    `env.py` connects to `url` (or DATABASE_URL), e.g. for `command.revision(...,
    autogenerate=True)` during development.
    """
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    config.attributes["url"] = url
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision`; a no-op when it is there already."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(select(func.pg_advisory_xact_lock(advisory_key("migrations"))))
        await conn.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection=connection), revision)


@functools.cache
def expected_revision() -> str:
    """The newest revision among the bundled migration scripts (what `upgrade` reaches)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the bundled migrations have no head revision")
    return head


async def current_revision(conn: AsyncConnection) -> str | None:
    """The revision the database's schema is at (None: never migrated, or emptied)."""
    return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
