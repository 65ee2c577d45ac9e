"""SQLite's thread runner (invite_bot/store/sqlite_runner.py): a unit of work is one
transaction on one hop off the event loop; writes run one at a time on one thread, reads on
read-only connections of their own; a database another process holds never blocks the
event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, make_url, select, text

from invite_bot.store import Store, StoreUnavailable, Tx
from invite_bot.store.drivers import sqlite_engine
from invite_bot.store.schema import subscriptions

# Holds the write lock of the file in argv[1] for argv[2] seconds, saying when it has it.
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO state (key, value, updated_at) VALUES ('held', 'x', '2025-01-01')")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(f"sqlite:///{tmp_path / 'runner.sqlite3'}")
    yield opened
    await opened.close()


@pytest.fixture
def path(tmp_path: Path) -> str:
    """The store's file."""
    return str(tmp_path / "runner.sqlite3")


def count(path: str) -> int:
    """Committed subscriptions, as another connection sees them."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM subscriptions").fetchone()[0])


async def longest_stall(until: asyncio.Future[object]) -> float:
    """The longest the event loop went without running this task, until `until` is done."""
    worst, last = 0.0, time.monotonic()
    while not until.done():
        await asyncio.sleep(0.005)
        now = time.monotonic()
        worst, last = max(worst, now - last), now
    return worst


async def test_a_database_locked_by_another_process_never_blocks_the_event_loop(
    store: Store,
    path: str,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path, "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.to_thread(holder.stdout.readline) == "locked\n"
        began = time.monotonic()
        write = asyncio.ensure_future(store.write(lambda tx: tx.subscriptions.add("C1", "U1")))
        stall = asyncio.ensure_future(longest_stall(write))
        # Reads go on meanwhile (WAL), on their own threads.
        assert await store.read(lambda tx: tx.subscriptions.all()) == []
        assert time.monotonic() - began < 1.0
        assert await write is True
        waited = time.monotonic() - began
    finally:
        holder.wait(timeout=30)
    assert waited >= 1.0  # it did wait for the other process (on the writer thread)
    assert await stall < 0.25
    assert await store.read(lambda tx: tx.state.get("held")) == "x"


async def test_a_unit_of_work_is_one_transaction_committed_at_its_end(
    store: Store, path: str
) -> None:
    seen: list[int] = []

    def two_rows(tx: Tx) -> None:
        tx.subscriptions.add("C1", "U1")
        seen.append(count(path))  # another connection: not committed yet
        tx.subscriptions.add("C2", "U1")
        seen.append(
            int(tx.conn.execute(select(func.count()).select_from(subscriptions)).scalar_one())
        )

    await store.write(two_rows)

    assert seen == [0, 2]
    assert count(path) == 2


async def test_an_exception_rolls_the_whole_unit_of_work_back(store: Store, path: str) -> None:
    def fails_late(tx: Tx) -> None:
        tx.subscriptions.add("C1", "U1")
        tx.audit.add(actor_slack_id="U1", action="notify_on")
        raise LookupError("late")

    with pytest.raises(LookupError, match="late"):
        await store.write(fails_late)

    assert count(path) == 0
    assert await store.read(lambda tx: tx.audit.entries()) == []


async def test_writes_run_one_at_a_time_on_one_thread(store: Store) -> None:
    inside, most, threads = 0, 0, set()
    lock = threading.Lock()

    def increment(tx: Tx) -> None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        threads.add(threading.current_thread().name)
        value = int(tx.state.get("n") or 0)
        time.sleep(0.002)  # a read-modify-write that would lose updates if interleaved
        tx.state.set("n", str(value + 1))
        with lock:
            inside -= 1

    await asyncio.gather(*(store.write(increment) for _ in range(30)))

    assert await store.read(lambda tx: tx.state.get("n")) == "30"
    assert most == 1
    assert len(threads) == 1
    assert threading.current_thread().name not in threads


async def test_a_read_does_not_see_the_rows_of_a_write_still_open(store: Store) -> None:
    loop = asyncio.get_running_loop()
    seen: list[list[str]] = []

    def write_and_look_elsewhere(tx: Tx) -> None:
        tx.subscriptions.add("C1", "U1")
        # The event loop is free meanwhile: a read runs there, on a reader thread.
        elsewhere = asyncio.run_coroutine_threadsafe(
            store.read(lambda other: other.subscriptions.all()), loop
        )
        seen.append([s.channel_id for s in elsewhere.result(timeout=10)])

    await store.write(write_and_look_elsewhere)

    assert seen == [[]]
    assert [s.channel_id for s in await store.read(lambda tx: tx.subscriptions.all())] == ["C1"]


async def test_the_read_only_connections_refuse_writes(store: Store, path: str) -> None:
    with pytest.raises(StoreUnavailable, match="read-only"):
        await store.read(lambda tx: tx.subscriptions.add("C1", "U1"))
    with pytest.raises(StoreUnavailable, match="read-only"):
        await store.read(lambda tx: tx.conn.execute(text("DELETE FROM state")))

    assert count(path) == 0
    assert await store.write(lambda tx: tx.subscriptions.add("C1", "U1")) is True


async def test_a_sqlite_process_does_not_load_the_asyncio_extension(tmp_path: Path) -> None:
    script = (
        "import asyncio, sys\n"
        "from invite_bot.store import Store\n"
        "async def main():\n"
        f"    store = await Store.open('sqlite:///{tmp_path / 'bare.sqlite3'}')\n"
        "    await store.write(lambda tx: tx.subscriptions.add('C1', 'U1'))\n"
        "    await store.read(lambda tx: tx.subscriptions.all())\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy.ext.asyncio',"
        " 'aiosqlite', 'greenlet', 'sqlalchemy.orm'))))\n"
    )
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_engines_opening_a_new_file_at_once_all_get_wal(tmp_path: Path) -> None:
    """Two connections switching a new file to WAL at the same moment: SQLite refuses one
    of them at once ("database is locked", no busy wait, to avoid a deadlock). Raced here
    on 150 new files (it failed about one time in twenty before the switch was retried);
    every connection must come up in WAL."""
    failures: list[BaseException] = []
    modes: list[str] = []

    def connect(engine: Engine, ready: threading.Barrier) -> None:
        ready.wait()
        try:
            with engine.connect() as conn:
                modes.append(conn.exec_driver_sql("PRAGMA journal_mode").scalar_one())
        except BaseException as error:  # collected for the assertion
            failures.append(error)

    for attempt in range(150):
        url = make_url(f"sqlite:///{tmp_path / f'race{attempt}.sqlite3'}")
        engines = [sqlite_engine(url, read_only=False, pool_size=1) for _ in range(2)]
        ready = threading.Barrier(len(engines))
        threads = [threading.Thread(target=connect, args=(e, ready)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for engine in engines:
            engine.dispose()

    assert failures == []
    assert modes == ["wal"] * 300
