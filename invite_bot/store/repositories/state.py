"""Small named values the bot keeps across restarts (e.g. `BASELINE_DONE`, set once the
watcher's silent first poll is recorded; `WATCHER_POLLED`, at each good poll)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from invite_bot.store.repositories.repository import Repository
from invite_bot.store.schema import state, utcnow

BASELINE_DONE = "baseline_done"
# When a watcher (in any process) last finished a poll without error: /healthz reads it.
WATCHER_POLLED = "watcher_last_success"


class State(Repository):
    def get(self, key: str) -> str | None:
        result = self._conn.execute(select(state.c.value).where(state.c.key == key))
        value = result.scalar_one_or_none()
        return None if value is None else str(value)

    def changed_at(self, key: str) -> datetime | None:
        """When `key` was last set (None: never)."""
        result = self._conn.execute(select(state.c.updated_at).where(state.c.key == key))
        return result.scalar_one_or_none()

    def set(self, key: str, value: str) -> None:
        stmt = self.insert(state).values(key=key, value=value, updated_at=utcnow())
        stmt = stmt.on_conflict_do_update(
            index_elements=[state.c.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        self._conn.execute(stmt)
