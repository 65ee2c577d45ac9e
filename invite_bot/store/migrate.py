"""Schema migrations, run by the bot itself at start-up (no alembic.ini to ship or find).

Several replicas may start at once: on PostgreSQL a transaction-level advisory lock makes
the second wait and then find the schema already at head; on SQLite the migration's
BEGIN IMMEDIATE does the same. `upgrade` is a unit of work on a connection the store
opened inside a write transaction (SQLite's writer thread, or PostgreSQL's `run_sync`).
Alembic (about 9 MiB with Mako and Pygments) is imported only when the schema is behind:
the revision a database is at is one plain read of `alembic_version`, and the head is
`HEAD_REVISION` (a test checks it against the scripts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, inspect, select, text

from invite_bot.store.leases import advisory_key

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "invite_bot.store:migrations"
# The newest revision in migrations/versions/: a new migration script moves it.
HEAD_REVISION = "0010"


def alembic_config(*, connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for the bundled migrations.

    With `connection`, migrations run on it (inside the caller's transaction); otherwise
    `env.py` connects to `url` (or DATABASE_URL), e.g. for `command.revision(...,
    autogenerate=True)` during development.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    config.attributes["url"] = url
    return config


class SchemaTooNew(Exception):
    """The database was migrated by a newer version of the bot than this one."""

    def __init__(self, current: str) -> None:
        super().__init__(f"schema revision {current} is newer than {HEAD_REVISION}")
        self.current = current


def is_newer(revision: str | None) -> bool:
    """Whether `revision` is one this version's scripts do not reach (a newer bot's)."""
    return revision is not None and revision > HEAD_REVISION


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Bring the database to `revision` on `conn`, inside the caller's write transaction;
    a no-op (and no Alembic) when it is at head. `SchemaTooNew` when a newer bot migrated
    it: this one refuses to start rather than run on a schema it does not know."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(advisory_key("migrations"))))
    current = current_revision(conn)
    if is_newer(current):
        raise SchemaTooNew(str(current))
    if revision == "head" and current == HEAD_REVISION:
        return
    from alembic import command

    command.upgrade(alembic_config(connection=conn), revision)


def expected_revision() -> str:
    """The newest revision among the bundled migration scripts (what `upgrade` reaches)."""
    return HEAD_REVISION


def script_head() -> str | None:
    """The head revision as Alembic reads it from the scripts (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database's schema is at (None: never migrated, or emptied): what
    Alembic's `MigrationContext.get_current_revision()` reads, without Alembic."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise RuntimeError(f"the database has several schema revisions: {sorted(rows)}")
    return str(rows[0]) if rows else None
