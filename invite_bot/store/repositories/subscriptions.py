"""Channel subscriptions: the channels that hear when an invitation is made, accepted,
expires or is revoked (`/gencove notify here`)."""

from __future__ import annotations

from sqlalchemy import select

from invite_bot.domain.records import Subscription
from invite_bot.store.repositories.repository import (
    Repository,
    delete_count,
    from_row,
    insert_or_nothing_returning,
)
from invite_bot.store.schema import subscriptions, utcnow


class Subscriptions(Repository):
    def add(self, channel_id: str, by_user: str) -> bool:
        """Subscribe the channel; False when it was already (the first subscriber is kept)."""
        row = {"channel_id": channel_id, "by_user": by_user, "since": utcnow()}
        created = insert_or_nothing_returning(
            self._conn, subscriptions, row, subscriptions.c.channel_id
        )
        return bool(created)

    def remove(self, channel_id: str) -> bool:
        """Unsubscribe the channel; False when it was not subscribed."""
        removed = delete_count(self._conn, subscriptions, subscriptions.c.channel_id == channel_id)
        return bool(removed)

    def all(self) -> list[Subscription]:
        """Every subscribed channel, oldest subscription first."""
        result = self._conn.execute(
            select(subscriptions).order_by(subscriptions.c.since, subscriptions.c.channel_id)
        )
        return [from_row(Subscription, row) for row in result.mappings()]

    def notified(self, *, also: str | None = None, besides: str | None = None) -> list[str]:
        """The channels told of invitation changes: the subscribed ones and `also` (the
        configured notification channel), once each, minus `besides`."""
        channels = [s.channel_id for s in self.all()]
        if also:
            channels.append(also)
        return [c for c in dict.fromkeys(channels) if c != besides]
