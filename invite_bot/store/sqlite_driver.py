"""SQLite through aiosqlite, with (almost) no trips to its thread.

aiosqlite runs every sqlite3 call on a thread of the connection's own and hands the answer
back to the event loop. SQLAlchemy makes three or four such trips per statement (open a
cursor, execute, fetch the rows, close), and a trip costs far more CPU than the statement:
hundreds of µs for an UPDATE of one row, against 3 µs in sqlite3 itself (`python -m
bench.sql_bench` compares the two). A one-address invite made 81 trips; it now makes
none. The rule: a call runs on the event loop when it cannot wait for another connection,
and on the thread when it might.

In WAL mode (the engine asks for it on connecting; a new connection learns the file's mode
on the thread, as that first read takes a lock and may recover a crashed WAL):
- a statement is tried at once with no busy wait. SQLite answers "busy" before it has read
  or written anything, and only then does the statement go to the thread, to wait there
  under the connection's busy timeout (another process writing, the lease keeper's thread);
- once `BEGIN IMMEDIATE` has returned, this connection holds the one write lock: nothing a
  statement does can wait on another connection, so the transaction's statements, and its
  COMMIT, run at once. With `synchronous=NORMAL` a COMMIT appends the transaction's pages
  to the WAL file and syncs nothing, except the first one after a checkpoint emptied the
  WAL (it starts the WAL over and syncs its header): that one goes to the thread;
- what can take long is a checkpoint (copying the WAL back into the database file, with
  fsyncs). SQLite would run one inside whichever COMMIT crosses its threshold; here the
  automatic checkpoint is off, and every CHECKPOINT_EVERY commits of this engine one runs
  on the committing connection's thread (PASSIVE: it never waits for readers or writers;
  one that fails is logged, and the commit before it stands).

Left inline, rarely: a large transaction whose pages spill out of SQLite's cache writes
them to the WAL at once, and another process's checkpoint that empties the WAL makes this
engine's next COMMIT sync the WAL header on the event loop.

In any other journal mode (a file system without shared memory), every statement and
COMMIT goes to the thread, once each, as in aiosqlite.

Everything else (connecting, closing, errors, the isolation level SQLAlchemy sets) is
aiosqlite's own: this subclasses its `Connection` and `Cursor`, whose private members it
uses are pinned by the version range in pyproject.toml and exercised by every store test.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL

_WRITE_LOCK = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")
_PRAGMA = re.compile(r"\s*PRAGMA\s+(?:\w+\.)?(\w+)", re.IGNORECASE)
# Commits of one engine between two checkpoints: about SQLite's own 1,000 pages of WAL.
CHECKPOINT_EVERY = 200

Rows = list[Any]

log = logging.getLogger(__name__)


def _statement(
    conn: sqlite3.Connection, cursor: sqlite3.Cursor | None, sql: str, parameters: Any
) -> tuple[sqlite3.Cursor, Rows]:
    """One statement, start to end: a cursor (reused if the caller has one), the
    statement, and every row it returns."""
    if cursor is None:
        cursor = conn.cursor()
    cursor.execute(sql, parameters)
    return cursor, (cursor.fetchall() if cursor.description else [])


def _statements(
    conn: sqlite3.Connection, cursor: sqlite3.Cursor | None, sql: str, parameters: Any
) -> tuple[sqlite3.Cursor, Rows]:
    if cursor is None:
        cursor = conn.cursor()
    cursor.executemany(sql, parameters)
    return cursor, []


class Cursor(aiosqlite.Cursor):
    """A cursor whose rows come back with its statement; fetching them makes no trip."""

    def __init__(self, conn: Connection) -> None:  # no sqlite3 cursor yet: made with the statement
        self.iter_chunk_size = conn._iter_chunk_size
        self._conn: Connection = conn
        self._cursor: sqlite3.Cursor | None = None  # type: ignore[assignment]
        self._rows: deque[Any] = deque()

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        self._cursor, rows = await self._conn.run(_statement, self._cursor, sql, parameters)
        self._rows = deque(rows)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        self._cursor, rows = await self._conn.run(_statements, self._cursor, sql, parameters)
        self._rows = deque(rows)
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = min(self.arraysize if size is None else size, len(self._rows))
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> Sequence[Any]:
        taken = list(self._rows)
        self._rows.clear()
        return taken

    async def close(self) -> None:
        # Every row is fetched, so SQLite has reset the statement already; the sqlite3
        # cursor holds nothing and goes with this object.
        self._rows.clear()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else -1

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid if self._cursor is not None else None

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize if self._cursor is not None else 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        if self._cursor is not None:
            self._cursor.arraysize = value

    @property
    def description(self) -> Any:
        return self._cursor.description if self._cursor is not None else None


@dataclass
class Checkpoints:
    """One engine's commits since its last checkpoint, shared by its connections."""

    every: int = CHECKPOINT_EVERY
    commits: int = 0
    # After a checkpoint that copied the whole WAL back, the next write transaction starts
    # the WAL over, and its COMMIT syncs the WAL's header: that one goes to the thread.
    restarts_wal: bool = False

    def due(self) -> bool:
        self.commits += 1
        if self.commits < self.every:
            return False
        self.commits = 0
        return True


class Connection(aiosqlite.Connection):
    """aiosqlite's connection, running on the event loop what cannot wait (see above)."""

    _holds_write_lock = False
    _wal = False  # in WAL mode: learnt on the thread when connecting, and from the PRAGMA

    def __init__(self, connector: Callable[[], sqlite3.Connection], checkpoints: Checkpoints):
        super().__init__(connector, 64)
        self._checkpoints = checkpoints

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)

    async def learn_journal_mode(self) -> None:
        """Ask, on the thread, which journal mode the file is in: the first read of a file
        takes a lock, opens the WAL and may recover it (after a crash), none of it inline."""
        self._wal = await self._on_thread(_in_wal, self._conn)

    async def run(
        self,
        step: Callable[..., tuple[sqlite3.Cursor, Rows]],
        cursor: sqlite3.Cursor | None,
        sql: str,
        parameters: Any,
    ) -> tuple[sqlite3.Cursor, Rows]:
        """`step` here at once if it cannot wait, else on the connection's thread."""
        conn = self._conn
        parameters = () if parameters is None else parameters
        if self._holds_write_lock and conn.in_transaction:
            return step(conn, cursor, sql, parameters)  # nothing left to wait for
        result = None
        # Outside a transaction each row of an executemany commits by itself: one that met
        # "busy" would leave the rows before it written, so it is never tried here.
        if self._wal and (step is _statement or conn.in_transaction):
            result = self._without_waiting(step, cursor, sql, parameters)
        if result is None:
            result = await self._on_thread(step, conn, cursor, sql, parameters)
        pragma = _PRAGMA.match(sql)
        if pragma and pragma.group(1).lower() == "journal_mode" and result[1]:
            self._wal = str(result[1][0][0]).lower() == "wal"
        self._holds_write_lock = self._wal and sql.lstrip()[:15].upper() in _WRITE_LOCK
        return result

    def _without_waiting(
        self,
        step: Callable[..., tuple[sqlite3.Cursor, Rows]],
        cursor: sqlite3.Cursor | None,
        sql: str,
        parameters: Any,
    ) -> tuple[sqlite3.Cursor, Rows] | None:
        """`step` run with no busy wait, or None if SQLite said busy (nothing was done)."""
        conn = self._conn
        [(busy_timeout,)] = conn.execute("PRAGMA busy_timeout").fetchall()
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            return step(conn, cursor, sql, parameters)
        except sqlite3.OperationalError as exc:
            if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            return None
        finally:
            pragma = _PRAGMA.match(sql)
            if not (pragma and pragma.group(1).lower() == "busy_timeout"):
                conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")

    async def _on_thread(self, step: Callable[..., Any], *args: Any) -> Any:
        return await self._execute(step, *args)  # type: ignore[no-untyped-call]

    async def commit(self) -> None:
        wrote, self._holds_write_lock = self._holds_write_lock, False
        if self._connection is None or not self._conn.in_transaction:
            return
        checkpoints = self._checkpoints
        if not self._wal or (wrote and checkpoints.restarts_wal):
            checkpoints.restarts_wal = False
            await self._on_thread(self._conn.commit)
        else:
            self._conn.commit()
        if wrote and checkpoints.due():
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        """A PASSIVE checkpoint on the thread. The commit before it has landed: a failure
        here is logged, never raised as the commit's (the next checkpoint tries again)."""
        try:
            busy, wal_pages, copied = await self._on_thread(_checkpoint, self._conn)
        except Exception as exc:
            log.warning("SQLite checkpoint failed (%s); the next one tries again", exc)
            return
        if busy == 0 and wal_pages == copied:
            self._checkpoints.restarts_wal = True

    async def rollback(self) -> None:
        self._holds_write_lock = False
        if self._connection is not None and self._conn.in_transaction:
            if self._wal:
                self._conn.rollback()  # WAL: the transaction's pages are dropped, unwritten
            else:
                await self._on_thread(self._conn.rollback)


def _in_wal(conn: sqlite3.Connection) -> bool:
    [(mode,)] = conn.execute("PRAGMA journal_mode").fetchall()
    return str(mode).lower() == "wal"


def _checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """(busy, pages in the WAL, pages copied back); every row read, as a statement left
    unfinished would hold up the next COMMIT."""
    [(busy, wal_pages, copied)] = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    return int(busy), int(wal_pages), int(copied)


def _open(*args: Any, **options: Any) -> sqlite3.Connection:
    conn: sqlite3.Connection = sqlite3.connect(*args, **options)
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # Checkpoints run them (see above)
    return conn


def connector(url: URL) -> Callable[[], Awaitable[Connection]]:
    """SQLAlchemy's `async_creator` for a SQLite `url`: the file and options its aiosqlite
    dialect would open, on a `Connection` of ours; one `Checkpoints` for the engine."""
    args, options = url.get_dialect()().create_connect_args(url)
    checkpoints = Checkpoints()

    async def connect() -> Connection:
        connection = Connection(partial(_open, *args, **options), checkpoints)
        # as SQLAlchemy does for aiosqlite: a connection left open never keeps a process alive
        connection._thread.daemon = True
        await connection
        await connection.learn_journal_mode()
        return connection

    return connect
