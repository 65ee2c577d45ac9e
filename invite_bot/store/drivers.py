"""Engine set-up: the URL forms the bot accepts, and the engines behind them, with the few
settings each database needs so that the rest of the store runs the same statements on
SQLite and PostgreSQL.

SQLite is driven synchronously (the standard library's sqlite3 through SQLAlchemy) on
worker threads: one writer engine and one read-only engine (see sqlite_runner.py).
PostgreSQL keeps asyncpg under an async engine, whose module (`sqlalchemy.ext.asyncio`,
which loads the ORM) is imported only here and only for PostgreSQL.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Connection, Engine, Table, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.ext.asyncio import AsyncEngine

    Insert: TypeAlias = sqlite.Insert | postgresql.Insert

DEFAULT_DATABASE_URL = "sqlite:///./invite-bot.sqlite3"

# How long a SQLite writer waits for another process's transaction before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

log = logging.getLogger("invite_bot.store.writes")
# The statement's verb and table, e.g. "INSERT INTO invite_jobs": never its values.
_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def normalise_database_url(url: str) -> str:
    """Turn the URLs in use (and those hosting providers hand out) into the bot's drivers.

    `postgres://`, `postgresql://` become `postgresql+asyncpg://` (libpq's `sslmode`
    becomes asyncpg's `ssl`); `sqlite+aiosqlite://` (the old default) becomes `sqlite://`.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername in ("sqlite+aiosqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite")
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


def sqlite_file_url(url: str) -> URL:
    """`url` (normalised) as a SQLite URL; ValueError for an in-memory database."""
    parsed = make_url(url)
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        # Each thread's connection would see a database of its own.
        raise ValueError(
            "in-memory SQLite cannot serve the bot's threads and tasks:"
            " give a file, e.g. sqlite:///./invite-bot.sqlite3"
        )
    return parsed


def sqlite_engine(url: URL, *, read_only: bool, pool_size: int) -> Engine:
    """A sync engine on the SQLite file `url`: WAL, `synchronous=NORMAL`, foreign keys,
    the busy timeout, and BEGIN IMMEDIATE (BEGIN DEFERRED and `query_only` if read-only)."""
    engine = create_sync_engine(url, pool_size=pool_size, max_overflow=0)
    tune_sqlite(engine, read_only=read_only)
    if not read_only:
        log_writes(engine)
    return engine


def postgres_engine(url: str) -> AsyncEngine:
    """An async engine (asyncpg) for `url`; the one place that imports SQLAlchemy's asyncio
    extension, so a SQLite process never loads it."""
    from sqlalchemy.ext.asyncio import create_async_engine

    # pre-ping: a replica must survive the database restarting or a proxy dropping idle links.
    engine = create_async_engine(url, pool_pre_ping=True)
    log_writes(engine.sync_engine)
    return engine


def log_writes(engine: Engine) -> None:
    """At DEBUG, one line per write ("store: INSERT INTO invite_jobs"), logged in the
    context of the task that made it (the store runs units of work in a copy of it), so it
    carries the request id of the Slack delivery behind it."""

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(
        conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if log.isEnabledFor(logging.DEBUG) and (write := _WRITE.match(statement)):
            verb = " ".join(write.group(1).upper().split())
            log.debug("store: %s %s", verb, write.group(2))


def tune_sqlite(engine: Engine, *, read_only: bool) -> None:
    """WAL lets readers work while one process writes; BEGIN IMMEDIATE takes the write lock
    up front, so concurrent writers wait (busy_timeout) instead of failing on lock upgrade."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); the driver's own transaction handling is off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        enter_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    begin = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)


def enter_wal(cursor: Any) -> None:
    """Switch the file to WAL (a no-op once it is: the mode is kept in the file).

    Two processes opening a new file at once both read it (a shared lock each) and both ask
    for the exclusive lock the switch needs: SQLite answers one of them "database is locked"
    at once, without the busy timeout, since waiting would deadlock. Once the other has
    switched, asking again succeeds; so ask again, within the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)  # on a store thread, never the event loop
        pause = min(pause * 2, 0.1)


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
