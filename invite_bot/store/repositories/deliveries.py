"""Processed Slack deliveries: Slack retries a request it thinks timed out, and the retry
must not act a second time, whichever replica it reaches."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from invite_bot.store.repositories.repository import (
    Repository,
    delete_count,
    insert_or_nothing_returning,
)
from invite_bot.store.schema import deliveries, utcnow


class Deliveries(Repository):
    def claim(self, key: str) -> bool:
        """True for the first caller with `key` in any process."""
        created = insert_or_nothing_returning(
            self._conn, deliveries, {"key": key, "created_at": utcnow()}, deliveries.c.key
        )
        return bool(created)

    def seen(self, key: str) -> bool:
        """Whether `key` was claimed (and not pruned since)."""
        found = self._conn.execute(select(deliveries.c.key).where(deliveries.c.key == key))
        return found.first() is not None

    def forget(self, key: str) -> None:
        """Let `key` be claimed again (what it stood for did not get done)."""
        delete_count(self._conn, deliveries, deliveries.c.key == key)

    def prune(self, older_than: timedelta) -> int:
        """Forget deliveries older than Slack's retry window; returns how many."""
        return delete_count(self._conn, deliveries, deliveries.c.created_at < utcnow() - older_than)
