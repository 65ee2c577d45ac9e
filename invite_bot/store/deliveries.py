"""Processed Slack deliveries: Slack retries a request it thinks timed out, and the retry
must not act a second time, whichever replica it reaches."""

from __future__ import annotations

from datetime import timedelta

from .db import Connections, delete_count, insert_or_nothing_returning
from .schema import deliveries, utcnow


class Deliveries:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def claim(self, key: str) -> bool:
        """True for the first caller with `key` in any process."""
        async with self._db.write() as conn:
            created = await insert_or_nothing_returning(
                conn, deliveries, {"key": key, "created_at": utcnow()}, deliveries.c.key
            )
        return bool(created)

    async def prune(self, older_than: timedelta) -> int:
        """Forget deliveries older than Slack's retry window; returns how many."""
        async with self._db.write() as conn:
            return await delete_count(
                conn, deliveries, deliveries.c.created_at < utcnow() - older_than
            )
