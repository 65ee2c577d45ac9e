"""The SQLite connection that runs a write transaction's statements on the event loop
(invite_bot/store/sqlite_driver.py): same answers as aiosqlite's, the event loop never
waits for another writer's lock, and a failed statement ends its transaction cleanly."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from invite_bot.store import sqlite_driver
from invite_bot.store.engine import create_engine

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite3'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_the_engine_connects_through_the_driver(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_driver.Connection)


async def test_statements_in_and_out_of_a_write_transaction_answer_alike(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        created = await conn.execute(insert(things).values(name="ana"))
        assert created.inserted_primary_key == (1,)
        returned = await conn.execute(
            insert(things).values(name="bob").returning(things.c.id, things.c.name)
        )
        assert [tuple(r) for r in returned] == [(2, "bob")]
        await conn.execute(insert(things), [{"name": "cy"}, {"name": "di"}])  # executemany
        changed = await conn.execute(
            update(things).where(things.c.id > 2).values(name="x" + things.c.name)
        )
        assert changed.rowcount == 2
        inside = (await conn.execute(select(things.c.name).order_by(things.c.id))).scalars()
        assert list(inside) == ["ana", "bob", "xcy", "xdi"]
        one = (await conn.execute(select(things.c.name).where(things.c.id == 9))).first()
        assert one is None
    async with engine.connect() as conn:  # a read, outside a write transaction
        rows = (await conn.execute(select(things.c.name).order_by(things.c.id))).scalars()
        assert list(rows) == ["ana", "bob", "xcy", "xdi"]
        streamed = await conn.stream(select(things.c.name).order_by(things.c.id))
        assert [name async for name in streamed.scalars()] == ["ana", "bob", "xcy", "xdi"]
        first_two = await conn.stream(select(things.c.name).order_by(things.c.id))
        assert [tuple(r) for r in await first_two.fetchmany(2)] == [("ana",), ("bob",)]
        assert (await first_two.fetchone()) == ("xcy",)
        await first_two.close()


async def test_a_file_that_cannot_be_in_wal_mode_is_served_on_the_thread(tmp_path: Path) -> None:
    """SQLite's dot-file locking has no shared memory, so no WAL: the journal stays DELETE,
    where a statement may wait on a reader's lock, so every call goes to the thread."""
    path = tmp_path / "no-wal.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///file:{path}?vfs=unix-dotfile&uri=true")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            raw = (await conn.get_raw_connection()).driver_connection
            assert isinstance(raw, sqlite_driver.Connection)
            assert (mode, raw._wal) == ("delete", False)
        for i in range(5):
            async with engine.begin() as conn:
                await conn.execute(insert(things).values(name=f"n{i}"))
        async with engine.connect() as conn:
            names = (await conn.execute(select(things.c.name).order_by(things.c.id))).scalars()
            assert list(names) == [f"n{i}" for i in range(5)]
    finally:
        await engine.dispose()


async def test_a_checkpoint_that_fails_does_not_fail_the_commit_before_it(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(conn: sqlite3.Connection) -> tuple[int, int, int]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sqlite_driver, "_checkpoint", failing)  # a disk cannot fail on cue
    commits = sqlite_driver.CHECKPOINT_EVERY + 1
    for i in range(commits):
        async with engine.begin() as conn:
            await conn.execute(insert(things).values(name=f"{i:04d}"))
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(things))).scalar()
    assert count == commits
    assert "SQLite checkpoint failed (disk I/O error)" in caplog.text


async def test_a_failed_statement_inside_a_write_transaction_rolls_it_back(
    engine: AsyncEngine,
) -> None:
    async def twice() -> None:
        async with engine.begin() as conn:
            await conn.execute(insert(things).values(name="ana"))
            await conn.execute(insert(things).values(name="ana"))

    with pytest.raises(IntegrityError):
        await twice()
    async with engine.begin() as conn:  # the same pooled connection serves the next one
        await conn.execute(insert(things).values(name="bob"))
    async with engine.connect() as conn:
        names = (await conn.execute(select(things.c.name))).scalars()
        assert list(names) == ["bob"]


async def test_the_event_loop_runs_while_another_process_holds_the_write_lock(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """The other writer lets go only once the event loop has run something meanwhile; a
    BEGIN IMMEDIATE waiting on the event loop itself would never let it."""
    loop_ran = threading.Event()
    locked = threading.Event()
    let_go_because: list[str] = []

    def other_writer() -> None:
        other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO things (name) VALUES ('first')")
        locked.set()
        ran = loop_ran.wait(timeout=10)
        let_go_because.append("the loop ran" if ran else "timed out")
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=other_writer)
    holder.start()
    try:
        await asyncio.to_thread(locked.wait, 20)

        async def write() -> None:
            async with engine.begin() as conn:
                await conn.execute(insert(things).values(name="second"))

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.05)
        assert not writing.done()  # it waits for the lock...
        loop_ran.set()  # ...and this ran meanwhile
        await asyncio.wait_for(writing, timeout=30)
    finally:
        loop_ran.set()
        await asyncio.to_thread(holder.join)
    assert let_go_because == ["the loop ran"]
    async with engine.connect() as conn:
        names = (await conn.execute(select(things.c.name).order_by(things.c.id))).scalars()
        assert list(names) == ["first", "second"]


async def test_commit_and_rollback_with_nothing_open_do_nothing(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert isinstance(raw, sqlite_driver.Connection)
        await raw.commit()
        await raw.rollback()
        await conn.execute(text("SELECT 1"))


async def test_the_engines_commits_checkpoint_the_wal_into_the_database_file(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """SQLite's own checkpoint (inside whichever COMMIT crosses its threshold) is off; the
    engine runs one every CHECKPOINT_EVERY commits instead, so the WAL does not grow on."""
    commits = sqlite_driver.CHECKPOINT_EVERY * 3
    for i in range(commits):
        async with engine.begin() as conn:
            await conn.execute(insert(things).values(name=f"{i:04d}" + "x" * 500))
    in_file = (tmp_path / "driver.sqlite3").stat().st_size
    assert in_file >= sqlite_driver.CHECKPOINT_EVERY * 2 * 500  # copied out of the WAL
    async with engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(things))).scalar()
        assert count == commits
