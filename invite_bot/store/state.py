"""Small named values the bot keeps across restarts (e.g. `BASELINE_DONE`, set once the
watcher's silent first poll is recorded)."""

from __future__ import annotations

from sqlalchemy import select

from .db import Connections
from .schema import state, utcnow

BASELINE_DONE = "baseline_done"


class State:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        async with self._db.read() as conn:
            result = await conn.execute(select(state.c.value).where(state.c.key == key))
            value = result.scalar_one_or_none()
        return None if value is None else str(value)

    async def set(self, key: str, value: str) -> None:
        stmt = self._db.insert(state).values(key=key, value=value, updated_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=[state.c.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        async with self._db.write() as conn:
            await conn.execute(stmt)
