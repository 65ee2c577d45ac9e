"""The one engine and the one way to write, shared by every repository.

`Database.write()` joins the transaction the current task is already inside, or begins one
(on SQLite after queueing behind this process's other writers); `read()` lends a read-only
connection of its own. Both raise `StoreUnavailable` when the database cannot serve (see
unavailable.py), also when a SQLite file was deleted or replaced under the process (its
pooled connections would go on writing to the unlinked file, losing every write).
`Transaction` is one open transaction, on which a unit of work's repositories run. The
statement shapes the repositories repeat are the helpers at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, RowMapping, Table, delete, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .engine import READ_ONLY, insert
from .unavailable import StoreUnavailable, unavailable

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from .engine import Insert

# Rows per multi-row statement: far below SQLite's and asyncpg's bound-parameter limits.
CHUNK = 200

_T = TypeVar("_T")
_R = TypeVar("_R", bound="DataclassInstance")


class Connections(ABC):
    """Where a repository gets its connections: the shared `Database`, or one `Transaction`."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def insert(self, table: Table) -> Insert:
        """INSERT with ON CONFLICT support, for this database."""
        return insert(self.dialect, table)

    @abstractmethod
    def write(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection inside a transaction, committed at the end unless it joined one."""

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection to read with."""


class _Joined(NamedTuple):
    conn: AsyncConnection
    task: asyncio.Task[Any] | None


class Database(Connections):
    """The engine of one process, with its read-only twin and its SQLite writer queue."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine.dialect.name)
        self.engine = engine
        self._reader = engine.execution_options(**{READ_ONLY: True})
        # The transaction the current task is inside, if any: writes of that task join it.
        self._joined: ContextVar[_Joined | None] = ContextVar("store_tx", default=None)
        # SQLite lets one writer in at a time and makes the others spin on a busy timeout;
        # queueing writers here instead costs far less CPU under load.
        self._writers: asyncio.Lock | None = asyncio.Lock() if self.dialect == "sqlite" else None
        self._file = _sqlite_file(engine)
        self._file_id: tuple[int, int] | None = None

    @property
    def file(self) -> str | None:
        """The absolute path of a SQLite database's file (None in memory or on a server)."""
        return self._file

    def note_file(self) -> None:
        """Remember which file a SQLite database is (once it exists), to notice it being
        deleted or replaced later. Nothing to do for a server database."""
        if self._file is not None:
            try:
                found = os.stat(self._file)
            except OSError:
                return
            self._file_id = (found.st_dev, found.st_ino)

    def _check_file(self) -> None:
        if self._file is None:
            return
        if self._file_id is None:
            self.note_file()
            return
        try:
            found = os.stat(self._file)
        except OSError:
            raise StoreUnavailable("database file gone") from None
        if not stat.S_ISREG(found.st_mode) or (found.st_dev, found.st_ino) != self._file_id:
            raise StoreUnavailable("database file replaced")

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """Join the transaction this task is inside (nested use commits nothing), or begin
        one and make it the one this task's writes join until it ends. Another task never
        joins it, even one started inside (it inherits the ContextVar): it begins its own."""
        task = asyncio.current_task()
        joined = self._joined.get()
        if joined is not None and joined.task is task:
            yield joined.conn  # the outer write() turns failures into StoreUnavailable
            return
        self._check_file()
        inside = False
        try:
            async with self._begin() as conn:
                token = self._joined.set(_Joined(conn, task))
                try:
                    inside = True
                    yield conn
                    inside = False
                finally:
                    self._joined.reset(token)
        except Exception as exc:
            # An OSError from the caller's own code inside (a Slack timeout, say) is not
            # the database's; one while connecting, beginning or committing is.
            if (failure := unavailable(exc, os_errors=not inside)) is None or failure is exc:
                raise
            raise failure from exc

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        if self._writers is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._writers, self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection of its own: it does not see a transaction's uncommitted writes."""
        self._check_file()
        inside = False
        try:
            async with self._reader.connect() as conn:
                inside = True
                yield conn
                inside = False
        except Exception as exc:
            if (failure := unavailable(exc, os_errors=not inside)) is None or failure is exc:
                raise
            raise failure from exc


def _sqlite_file(engine: AsyncEngine) -> str | None:
    """The absolute path of a SQLite database's file (None for a server database)."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    path = engine.url.database
    if path.startswith("file:"):  # a URI filename (`?uri=true`): the path before its query
        path = path[len("file:") :].split("?", 1)[0]
    return os.path.abspath(path) if path and path != ":memory:" else None


class Transaction(Connections):
    """One open transaction, usable by the task that opened it until it ends; reads made
    through it see its own uncommitted writes."""

    def __init__(self, dialect: str, conn: AsyncConnection) -> None:
        super().__init__(dialect)
        self._conn: AsyncConnection | None = conn
        self._task = asyncio.current_task()

    def end(self) -> None:
        self._conn = None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        if self._conn is None:
            raise RuntimeError("this unit of work has ended: open a new one")
        if asyncio.current_task() is not self._task:
            raise RuntimeError("a unit of work belongs to the task that opened it")
        yield self._conn

    read = write


# -- the statement shapes the repositories share -----------------------------------------


async def insert_or_nothing_returning(
    conn: AsyncConnection,
    table: Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *returning: Any,
) -> list[RowMapping]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: only the rows this statement created,
    none for one whose unique key is stored already, in this process or another."""
    stmt = insert(conn.dialect.name, table).values(rows).on_conflict_do_nothing()
    return list((await conn.execute(stmt.returning(*returning))).mappings())


async def delete_count(conn: AsyncConnection, table: Table, *where: ColumnElement[bool]) -> int:
    """DELETE the matching rows; returns how many there were."""
    return int((await conn.execute(delete(table).where(*where))).rowcount)


async def update_count(
    conn: AsyncConnection, table: Table, *where: ColumnElement[bool], values: Mapping[str, Any]
) -> int:
    """UPDATE the matching rows with `values`; returns how many matched."""
    return int((await conn.execute(update(table).where(*where).values(**values))).rowcount)


async def update_one(
    conn: AsyncConnection,
    table: Table,
    *where: ColumnElement[bool],
    values: Mapping[str, Any],
    what: str,
    key: object,
) -> None:
    """UPDATE the one row that must exist; LookupError ("unknown `what` `key`") if none."""
    if await update_count(conn, table, *where, values=values) != 1:
        raise LookupError(f"unknown {what} {key!r}")


def chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """`items` in slices of CHUNK, for multi-row statements."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def from_row(record: type[_R], row: RowMapping, **computed: Any) -> _R:
    """A `record` (frozen dataclass) of the row's columns of the same names, plus `computed`."""
    names = [f.name for f in dataclasses.fields(record) if f.name not in computed]
    return record(**{name: row[name] for name in names}, **computed)


def values_of(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | Sequence[Mapping[str, Any]]:
    """What `.values()` takes for `rows`: one row as itself, since SQLAlchemy caches the
    compiled form of a one-row VALUES (a one-address invite's), not of a multi-row one."""
    return rows[0] if len(rows) == 1 else rows
