"""What one SQLite statement costs the bot through SQLAlchemy's async engine: aiosqlite as
SQLAlchemy drives it (the baseline) against invite_bot.store.sqlite_driver, in the same
process, on the same kind of file (WAL, synchronous=NORMAL, BEGIN IMMEDIATE).

python -m bench.sql_bench            # CPU per statement and per transaction, and ratios
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from invite_bot.store import engine as store_engine

metadata = MetaData()
rows = Table("rows", metadata, Column("id", Integer, primary_key=True), Column("a", String))
STATEMENTS = 2000
TRANSACTIONS = 500


def stock_engine(path: Path) -> AsyncEngine:
    """aiosqlite under SQLAlchemy's own adapter, with the bot's PRAGMAs and BEGIN."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    store_engine._tune_sqlite(engine)
    return engine


async def cpu_per(count: int, step: Callable[[int], Awaitable[object]]) -> float:
    started = time.process_time()  # every thread of the process: aiosqlite's too
    for i in range(count):
        await step(i)
    return (time.process_time() - started) / count


async def measure(engine: AsyncEngine) -> dict[str, float]:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    found: dict[str, float] = {}
    async with engine.begin() as conn:

        async def add(i: int, conn: AsyncConnection = conn) -> object:
            return await conn.execute(insert(rows).values(a="x"))

        async def change(i: int, conn: AsyncConnection = conn) -> object:
            return await conn.execute(update(rows).where(rows.c.id == i).values(a="y"))

        async def read(i: int, conn: AsyncConnection = conn) -> object:
            return (await conn.execute(select(rows).where(rows.c.id == i))).all()

        found["INSERT in a write transaction"] = await cpu_per(STATEMENTS, add)
        found["UPDATE in a write transaction"] = await cpu_per(STATEMENTS, change)
        found["SELECT in a write transaction"] = await cpu_per(STATEMENTS, read)

    async def one_write(i: int) -> object:
        async with engine.begin() as conn:
            return await conn.execute(update(rows).where(rows.c.id == i).values(a="z"))

    async def one_read(i: int) -> object:
        async with engine.connect() as conn:
            return (await conn.execute(select(rows).where(rows.c.id == i))).all()

    found["write transaction of one UPDATE"] = await cpu_per(TRANSACTIONS, one_write)
    found["read of one SELECT"] = await cpu_per(TRANSACTIONS, one_read)
    await engine.dispose()
    return found


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sql-") as tmp:
        stock = await measure(stock_engine(Path(tmp) / "stock.sqlite3"))
        ours = await measure(store_engine.create_engine(f"sqlite+aiosqlite:///{tmp}/ours.sqlite3"))
    print("| CPU per … | aiosqlite (baseline) | sqlite_driver | baseline ÷ ours |")
    print("|---|---|---|---|")
    for name, base in stock.items():
        mine = ours[name]
        print(f"| {name} | {base * 1000:.3f} ms | {mine * 1000:.3f} ms | {base / mine:.1f}× |")


if __name__ == "__main__":
    asyncio.run(main())
