"""What a database is, found without changing it (for `invite-bot check`).

`Store.open` creates a SQLite file that is not there and migrates any schema behind; a
check must do neither. So a SQLite file is opened read-only through a `file:` URI, and
`immutable` when no `-wal` file is beside it (no process has it open): a read-only
connection to a WAL database otherwise leaves `-wal` and `-shm` files behind, owned by
whoever ran the check. PostgreSQL is read with one SELECT.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from invite_bot.store.drivers import normalise_database_url, sqlite_file_url
from invite_bot.store.migrate import current_revision

TIMEOUT = 10.0  # seconds to read the revision, connecting included


@dataclass(frozen=True)
class Probe:
    """What `probe` found: `exists` False for a SQLite file not created yet (`file` says
    where it would be); otherwise the schema's revision (None: never migrated)."""

    exists: bool
    revision: str | None = None
    file: Path | None = None


async def probe(url: str) -> Probe:
    """Raises what the driver raises when the database cannot be read, TimeoutError
    after `TIMEOUT` seconds."""
    url = normalise_database_url(url)
    async with asyncio.timeout(TIMEOUT):
        if make_url(url).get_backend_name() == "sqlite":
            return await asyncio.to_thread(_probe_sqlite, url)
        return await _probe_server(url)


def _probe_sqlite(url: str) -> Probe:
    path = Path(sqlite_file_url(url).database or "").resolve()
    if not path.exists():
        return Probe(False, file=path)
    immutable = "" if path.with_name(path.name + "-wal").exists() else "&immutable=1"
    uri = f"{path.as_uri()}?mode=ro{immutable}"
    engine = create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool
    )
    try:
        with engine.connect() as conn:
            return Probe(True, current_revision(conn), path)
    finally:
        engine.dispose()


async def _probe_server(url: str) -> Probe:
    from invite_bot.store.store import Store

    store = await Store.open(url, migrate=False)
    try:
        return Probe(True, await store.read(lambda tx: current_revision(tx.conn)))
    finally:
        await store.close()
