"""Small named values the bot keeps across restarts (e.g. `BASELINE_DONE`, set once the
watcher's silent first poll is recorded; `WATCHER_POLLED`, at each good poll)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .db import Connections
from .schema import state, utcnow

BASELINE_DONE = "baseline_done"
# When a watcher (in any process) last finished a poll without error: /healthz reads it.
WATCHER_POLLED = "watcher_last_success"


class State:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        async with self._db.read() as conn:
            result = await conn.execute(select(state.c.value).where(state.c.key == key))
            value = result.scalar_one_or_none()
        return None if value is None else str(value)

    async def changed_at(self, key: str) -> datetime | None:
        """When `key` was last set (None: never)."""
        async with self._db.read() as conn:
            result = await conn.execute(select(state.c.updated_at).where(state.c.key == key))
            return result.scalar_one_or_none()

    async def set(self, key: str, value: str) -> None:
        stmt = self._db.insert(state).values(key=key, value=value, updated_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=[state.c.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)
