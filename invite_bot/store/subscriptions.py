"""Channel subscriptions: the channels that hear when an invitation is made, accepted,
expires or is revoked (`/gencove notify here`)."""

from __future__ import annotations

from sqlalchemy import select

from invite_bot.domain.records import Subscription

from .db import Connections, delete_count, from_row, insert_or_nothing_returning
from .schema import subscriptions, utcnow


class Subscriptions:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def add(self, channel_id: str, by_user: str) -> bool:
        """Subscribe the channel; False when it was already (the first subscriber is kept)."""
        row = {"channel_id": channel_id, "by_user": by_user, "since": utcnow()}
        async with self._db.write() as conn:
            created = await insert_or_nothing_returning(
                conn, subscriptions, row, subscriptions.c.channel_id
            )
        return bool(created)

    async def remove(self, channel_id: str) -> bool:
        """Unsubscribe the channel; False when it was not subscribed."""
        async with self._db.write() as conn:
            removed = await delete_count(
                conn, subscriptions, subscriptions.c.channel_id == channel_id
            )
        return bool(removed)

    async def all(self) -> list[Subscription]:
        """Every subscribed channel, oldest subscription first."""
        async with self._db.read() as conn:
            result = await conn.execute(
                select(subscriptions).order_by(subscriptions.c.since, subscriptions.c.channel_id)
            )
            return [from_row(Subscription, row) for row in result.mappings()]
