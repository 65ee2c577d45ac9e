"""What SQLite work costs the bot in CPU, in one process, three ways on the same kind of
file (WAL, synchronous=NORMAL, BEGIN IMMEDIATE) with the same statements:

(a) the store: `store.write(work)` / `store.read(work)`, a sync unit of work run on the
    store's writer or reader thread, one hop per unit of work;
(b) the stock async path it replaced: `create_async_engine("sqlite+aiosqlite://...")`, each
    statement awaited (what SQLAlchemy and aiosqlite do without a custom driver);
(c) the standard library's sqlite3 called directly, on the event loop: the floor.

python -m bench.sql_bench   # (b) needs aiosqlite, a bench-only install: pip install aiosqlite
"""

from __future__ import annotations

import asyncio
import importlib.util
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, insert, select, update

from invite_bot.store import Store, Tx
from invite_bot.store.drivers import SQLITE_BUSY_TIMEOUT_MS, tune_sqlite

metadata = MetaData()
rows = Table("rows", metadata, Column("id", Integer, primary_key=True), Column("a", String))
STATEMENTS = 2000  # in one transaction, for the per-statement figures
UNITS = 500  # transactions, for the per-unit-of-work figures
Work = Callable[[int], list[Any]]  # the statements of unit of work number i
Results = dict[str, float]


def inserting(i: int) -> list[Any]:
    return [insert(rows).values(a="x")]


def updating(i: int) -> list[Any]:
    return [update(rows).where(rows.c.id == i).values(a="y")]


def selecting(i: int) -> list[Any]:
    return [select(rows).where(rows.c.id == i)]


def five(i: int) -> list[Any]:
    """A unit of work the size of a one-address invite's: reads, an insert, updates."""
    return [
        select(rows).where(rows.c.id == i),
        insert(rows).values(a="n"),
        update(rows).where(rows.c.id == i).values(a="u"),
        update(rows).where(rows.c.id == i + 1).values(a="u"),
        select(rows.c.a).where(rows.c.id == i + 2),
    ]


# (figure, statements of unit i, units, statements per unit counted, write?)
CASES: list[tuple[str, Work, int, int, bool]] = [
    ("INSERT, in a write transaction of 2,000", inserting, STATEMENTS, STATEMENTS, True),
    ("UPDATE, in a write transaction of 2,000", updating, STATEMENTS, STATEMENTS, True),
    ("SELECT, in a write transaction of 2,000", selecting, STATEMENTS, STATEMENTS, True),
    ("write transaction of one UPDATE", updating, UNITS, 1, True),
    ("read of one SELECT", selecting, UNITS, 1, False),
    ("write transaction of 5 statements", five, UNITS, 1, True),
]


def run(conn: Connection, statements: Sequence[Any]) -> None:
    for stmt in statements:
        result = conn.execute(stmt)
        if result.returns_rows:
            result.all()


async def timed(step: Callable[[], Awaitable[object]], count: int) -> float:
    """CPU seconds of every thread of the process, per one of `count`, for `step`."""
    started = time.process_time()
    await step()
    return (time.process_time() - started) / count


def unit(work: Work, indexes: range, tx: Tx) -> None:
    """Units of work `indexes`' statements, in the one unit of work `tx` is."""
    run(tx.conn, [stmt for i in indexes for stmt in work(i)])


async def store_step(store: Store, work: Work, units: int, per_unit: int, write: bool) -> None:
    if per_unit > 1:  # all of them in ONE unit of work
        await store.write(partial(unit, work, range(units)))
        return
    go = store.write if write else store.read
    for i in range(units):
        await go(partial(unit, work, range(i, i + 1)))


async def the_store(path: Path) -> Results:
    store = await Store.open(f"sqlite:///{path}")
    await store.write(lambda tx: metadata.create_all(tx.conn))
    found: Results = {}
    for name, work, units, per_unit, write in CASES:
        found[name] = await timed(partial(store_step, store, work, units, per_unit, write), units)
    await store.close()
    return found


async def stock_async(path: Path) -> Results:
    from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    tune_sqlite(engine.sync_engine, read_only=False)  # the bot's PRAGMAs and BEGIN IMMEDIATE
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    async def each(conn: AsyncConnection, statements: Sequence[Any]) -> None:
        for stmt in statements:
            result = await conn.execute(stmt)
            if result.returns_rows:
                result.all()

    found: Results = {}
    for name, work, units, per_unit, write in CASES:

        async def step(
            work: Work = work, units: int = units, per_unit: int = per_unit, write: bool = write
        ) -> None:
            if per_unit > 1:
                async with engine.begin() as conn:
                    for i in range(units):
                        await each(conn, work(i))
                return
            for i in range(units):
                async with engine.begin() if write else engine.connect() as conn:
                    await each(conn, work(i))

        found[name] = await timed(step, units)
    await engine.dispose()
    return found


async def raw_sqlite3(path: Path) -> Results:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        f"busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
        "journal_mode = WAL",
        "synchronous = NORMAL",
        "foreign_keys = ON",
    ):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, a VARCHAR)")
    sql = {
        "insert": ("INSERT INTO rows (a) VALUES (?)", lambda i: ("x",)),
        "update": ("UPDATE rows SET a = ? WHERE id = ?", lambda i: ("y", i)),
        "select": ("SELECT id, a FROM rows WHERE id = ?", lambda i: (i,)),
    }

    def plain(kind: str) -> Callable[[int], None]:
        text, args = sql[kind]
        return lambda i: conn.execute(text, args(i)).fetchall() and None

    def of_five(i: int) -> None:
        conn.execute("SELECT id, a FROM rows WHERE id = ?", (i,)).fetchall()
        conn.execute("INSERT INTO rows (a) VALUES (?)", ("n",))
        conn.execute("UPDATE rows SET a = ? WHERE id = ?", ("u", i))
        conn.execute("UPDATE rows SET a = ? WHERE id = ?", ("u", i + 1))
        conn.execute("SELECT a FROM rows WHERE id = ?", (i + 2,)).fetchall()

    bodies = {
        inserting: plain("insert"),
        updating: plain("update"),
        selecting: plain("select"),
        five: of_five,
    }
    found: Results = {}
    for name, work, units, per_unit, write in CASES:
        body = bodies[work]

        async def step(
            body: Callable[[int], None] = body,
            units: int = units,
            per_unit: int = per_unit,
            write: bool = write,
        ) -> None:
            if per_unit > 1:
                conn.execute("BEGIN IMMEDIATE")
                for i in range(units):
                    body(i)
                conn.execute("COMMIT")
                return
            for i in range(units):
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
                body(i)
                conn.execute("COMMIT")

        found[name] = await timed(step, units)
    conn.close()
    return found


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sql-") as tmp:
        folder = Path(tmp)
        store = await the_store(folder / "store.sqlite3")
        raw = await raw_sqlite3(folder / "raw.sqlite3")
        stock = (
            await stock_async(folder / "stock.sqlite3")
            if importlib.util.find_spec("aiosqlite")
            else None
        )
    print("| CPU per … | (a) store | (b) stock async | (c) sqlite3 | (b) ÷ (a) | (a) ÷ (c) |")
    print("|---|---|---|---|---|---|")
    for name, *_ in CASES:
        mine, floor = store[name], raw[name]
        theirs = ms(stock[name]) if stock else "(pip install aiosqlite)"
        ratio = f"{stock[name] / mine:.1f}×" if stock else "–"
        print(f"| {name} | {ms(mine)} | {theirs} | {ms(floor)} | {ratio} | {mine / floor:.1f}× |")


if __name__ == "__main__":
    asyncio.run(main())
