"""Engine set-up: one async engine per process, with the few settings each database needs
so that the rest of the store can run the same statements on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Connection, Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from . import sqlite_driver

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./invite-bot.sqlite3"

# How long a SQLite writer waits for another process's transaction before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option marking a read-only unit of work (SQLite then takes no write lock).
READ_ONLY = "invite_bot_read_only"

if TYPE_CHECKING:
    Insert: TypeAlias = sqlite.Insert | postgresql.Insert

log = logging.getLogger("invite_bot.store.writes")
# The statement's verb and table, e.g. "INSERT INTO invite_jobs": never its values.
_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def normalise_database_url(url: str) -> str:
    """Turn the URLs hosting providers hand out into ones the async drivers accept.

    `postgres://` and `postgresql://` become `postgresql+asyncpg://` (libpq's `sslmode`
    becomes asyncpg's `ssl`); a bare `sqlite://` becomes `sqlite+aiosqlite://`.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername == "postgresql+asyncpg" and "sslmode" in parsed.query:
        sslmode = parsed.query["sslmode"]
        parsed = parsed.difference_update_query(["sslmode"])
        if "ssl" not in parsed.query:
            parsed = parsed.update_query_dict({"ssl": sslmode})
    return parsed.render_as_string(hide_password=False)


def redact(url: str) -> str:
    """The URL as it may appear in logs and error messages: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL may still carry a secret: show nothing of it
        return "<unparsable database URL>"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url` (already normalised), tuned for its database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            # One shared connection: concurrent tasks would nest transactions on it.
            raise ValueError(
                "in-memory SQLite cannot serve the bot's concurrent tasks:"
                " give a file, e.g. sqlite+aiosqlite:///./invite-bot.sqlite3"
            )
        # A pool big enough for a burst of commands: opening an aiosqlite connection
        # (a thread plus the PRAGMAs below) costs more than the statement it serves.
        engine = create_async_engine(
            parsed, pool_size=20, max_overflow=20, async_creator=sqlite_driver.connector(parsed)
        )
        _tune_sqlite(engine)
        _log_writes(engine)
        return engine
    # pre-ping: a replica must survive the database restarting or a proxy dropping idle links.
    engine = create_async_engine(parsed, pool_pre_ping=True)
    _log_writes(engine)
    return engine


def _log_writes(engine: AsyncEngine) -> None:
    """At DEBUG, one line per write ("store: INSERT INTO invite_jobs"), logged in the task
    that made it, so it carries the request id of the Slack delivery behind it."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _on_execute(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if log.isEnabledFor(logging.DEBUG) and (write := _WRITE.match(statement)):
            verb = " ".join(write.group(1).upper().split())
            log.debug("store: %s %s", verb, write.group(2))


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL lets readers work while one process writes; BEGIN IMMEDIATE takes the write lock
    up front, so concurrent writers wait (busy_timeout) instead of failing on lock upgrade."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); the driver's own transaction handling is off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "DEFERRED" if conn.get_execution_options().get(READ_ONLY) else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")


def insert(dialect_name: str, table: Table) -> Insert:
    """INSERT with ON CONFLICT support for the engine's database (the only dialect split).

    Each dialect's `insert` is imported here, from the dialect the engine loaded already:
    a process on SQLite never imports PostgreSQL's dialect (about 2 MiB) for it.
    """
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    if dialect_name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    raise ValueError(f"unsupported database {dialect_name!r}: use SQLite or PostgreSQL")
