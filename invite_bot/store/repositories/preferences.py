"""`/gencove notify me [off]`: whether a Slack user hears of their own invitations in a DM
(accepted, expired, revoked by someone else). No row means the default: on."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from invite_bot.store.repositories.repository import Repository
from invite_bot.store.schema import notify_preferences, utcnow


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
