"""Who hears of changes to invitations: the channels subscribed (`/gencove notify here`),
which hear when an invitation is made, accepted, expires or is revoked; and each Slack
user's own choice (`/gencove notify me [off]`), whether they hear of their own invitations
in a DM (accepted, expired, revoked by someone else) — no row means the default: on."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from invite_bot.domain.records import Subscription
from invite_bot.store.repositories.repository import (
    Repository,
    delete_count,
    from_row,
    insert_or_nothing_returning,
)
from invite_bot.store.schema import notify_preferences, subscriptions, utcnow


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


class Preferences(Repository):
    def set_personal(self, slack_user_id: str, on: bool) -> bool:
        """Store the choice; returns whether it changed anything."""
        before = self.personal(slack_user_id)
        stmt = self.insert(notify_preferences).values(
            slack_user_id=slack_user_id, personal=on, updated_at=utcnow()
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[notify_preferences.c.slack_user_id],
            set_={"personal": stmt.excluded.personal, "updated_at": stmt.excluded.updated_at},
        )
        self._conn.execute(stmt)
        return before != on

    def personal(self, slack_user_id: str) -> bool:
        """Whether the user gets DMs of their invitations (on unless they said off)."""
        return slack_user_id not in opted_out(self._conn, [slack_user_id])


def opted_out(conn: Connection, users: Collection[str]) -> set[str]:
    """Those of `users` who said `notify me off`, read on `conn` (a caller's transaction)."""
    wanted = sorted(set(users))
    if not wanted:
        return set()
    result = conn.execute(
        select(notify_preferences.c.slack_user_id).where(
            notify_preferences.c.slack_user_id.in_(wanted),
            notify_preferences.c.personal.is_(False),
        )
    )
    return {str(user) for user in result.scalars()}
