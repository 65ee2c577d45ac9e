"""SQLite: the standard library's sqlite3 through SQLAlchemy's sync engine, on threads.

Every unit of work is one hop off the event loop. Writes go to ONE writer thread, one
after the other: the process's writers queue there (SQLite lets one writer in at a time,
and its busy wait costs CPU), and a wait for another process's write lock (up to the
busy timeout) holds that thread only. Reads go to a few reader threads, on connections
that refuse writes (`PRAGMA query_only`); in WAL mode they never wait for a writer.

A SQLite file deleted or replaced under the process is refused (`StoreUnavailable`)
before any unit of work: pooled connections would go on writing to the unlinked file,
losing every write.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from functools import partial

from sqlalchemy import Connection
from sqlalchemy.engine import URL

from invite_bot.store.drivers import sqlite_engine, sqlite_file_url
from invite_bot.store.runner import Phase, Runner, T, reraise
from invite_bot.store.unavailable import StoreUnavailable

# Reader threads (and their connections): reads are short, and the machine small.
READERS = 4


class SqliteRunner(Runner):
    """Units of work on a SQLite file: writes on one thread, reads on `readers`."""

    dialect = "sqlite"

    def __init__(self, url: str, *, readers: int = READERS) -> None:
        parsed = sqlite_file_url(url)
        self.file = _sqlite_file(parsed)
        self._file_id: tuple[int, int] | None = None
        self._writes = sqlite_engine(parsed, read_only=False, pool_size=1)
        self._reads = sqlite_engine(parsed, read_only=True, pool_size=readers)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="store-reader")
        self._closed = False

    async def write(self, work: Callable[[Connection], T]) -> T:
        return await self._hop(self._writer, self._writes.begin, work)

    async def read(self, work: Callable[[Connection], T]) -> T:
        return await self._hop(self._readers, self._reads.connect, work)

    async def _hop(
        self,
        threads: ThreadPoolExecutor,
        opening: Callable[[], AbstractContextManager[Connection]],
        work: Callable[[Connection], T],
    ) -> T:
        self._check_file()
        phase = Phase()
        unit = partial(_run, opening, work, phase)
        # In a copy of the caller's context: its log lines carry the caller's request id.
        context = contextvars.copy_context()
        try:
            return await asyncio.get_running_loop().run_in_executor(threads, context.run, unit)
        except Exception as exc:
            if (failure := reraise(exc, phase)) is None:
                raise
            raise failure from exc

    def note_file(self) -> None:
        if self.file is None:
            return
        try:
            found = os.stat(self.file)
        except OSError:
            return
        self._file_id = (found.st_dev, found.st_ino)

    def _check_file(self) -> None:
        if self.file is None:
            return
        if self._file_id is None:
            self.note_file()
            return
        try:
            found = os.stat(self.file)
        except OSError:
            raise StoreUnavailable("database file gone") from None
        if not stat.S_ISREG(found.st_mode) or (found.st_dev, found.st_ino) != self._file_id:
            raise StoreUnavailable("database file replaced")

    async def close(self) -> None:
        """Close the connections, each pool's on its own threads (closing the last
        connection of a WAL database checkpoints it: file I/O). Closing again does nothing."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self._writes.dispose)
        await loop.run_in_executor(self._readers, self._reads.dispose)
        self._writer.shutdown(wait=False)
        self._readers.shutdown(wait=False)


def _run(
    opening: Callable[[], AbstractContextManager[Connection]],
    work: Callable[[Connection], T],
    phase: Phase,
) -> T:
    """On a store thread: open the connection (and transaction), run `work`, end it."""
    with opening() as conn:
        phase.inside = True
        result = work(conn)
        phase.inside = False
    return result


def _sqlite_file(url: URL) -> str | None:
    """The absolute path of the database's file."""
    path = url.database or ""
    if path.startswith("file:"):  # a URI filename (`?uri=true`): the path before its query
        path = path[len("file:") :].split("?", 1)[0]
    return os.path.abspath(path) if path and path != ":memory:" else None
