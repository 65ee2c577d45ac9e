"""What every repository shares: the connection it runs on, and the statement shapes the
repositories repeat.

A repository is plain synchronous SQLAlchemy Core over one `sqlalchemy.Connection`, the
one its `Tx` (tx.py) was handed by the store: inside a write transaction, or a read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, Connection, RowMapping, Table, delete, update

from invite_bot.store.drivers import insert

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from invite_bot.store.drivers import Insert

# Rows per multi-row statement: far below SQLite's and asyncpg's bound-parameter limits.
CHUNK = 200

_T = TypeVar("_T")
_R = TypeVar("_R", bound="DataclassInstance")


class Repository:
    """A repository on one connection (and so on its transaction)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def insert(self, table: Table) -> Insert:
        """INSERT with ON CONFLICT support, for this connection's database."""
        return insert(self._conn.dialect.name, table)


# -- the statement shapes the repositories share -----------------------------------------


def insert_or_nothing_returning(
    conn: Connection,
    table: Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *returning: Any,
) -> list[RowMapping]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: only the rows this statement created,
    none for one whose unique key is stored already, in this process or another."""
    stmt = insert(conn.dialect.name, table).values(rows).on_conflict_do_nothing()
    return list(conn.execute(stmt.returning(*returning)).mappings())


def delete_count(conn: Connection, table: Table, *where: ColumnElement[bool]) -> int:
    """DELETE the matching rows; returns how many there were."""
    return int(conn.execute(delete(table).where(*where)).rowcount)


def update_count(
    conn: Connection, table: Table, *where: ColumnElement[bool], values: Mapping[str, Any]
) -> int:
    """UPDATE the matching rows with `values`; returns how many matched."""
    return int(conn.execute(update(table).where(*where).values(**values)).rowcount)


def update_one(
    conn: Connection,
    table: Table,
    *where: ColumnElement[bool],
    values: Mapping[str, Any],
    what: str,
    key: object,
) -> None:
    """UPDATE the one row that must exist; LookupError ("unknown `what` `key`") if none."""
    if update_count(conn, table, *where, values=values) != 1:
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
