"""Known invitations: the organization's invitations as the bot last saw them, and where
the bot posted about each (its message location, so a later change can update that post)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, case, func, select

from invite_bot.domain.records import KnownInvitation
from invite_bot.store.repositories.repository import (
    Repository,
    chunks,
    from_row,
    update_one,
    values_of,
)
from invite_bot.store.schema import invitations


class Invitations(Repository):
    def record(self, rows: Sequence[KnownInvitation]) -> None:
        """Record invitations as seen now; a row without message location or inviter keeps
        the stored one (the watcher knows statuses, only the bot knows its messages)."""
        latest = {row.id: row for row in rows}
        for chunk in chunks(sorted(latest.values(), key=lambda r: r.id)):
            self._conn.execute(self._upsert(chunk))

    def _upsert(self, rows: Sequence[KnownInvitation]) -> Any:
        stmt = self.insert(invitations).values(
            values_of(
                [
                    {
                        "id": r.id,
                        "email": r.email,
                        "role": r.role,
                        "status": r.status,
                        "expires": r.expires,
                        "inviter_slack_id": r.inviter_slack_id,
                        "channel_id": r.channel_id,
                        "message_ts": r.message_ts,
                        "block_id": r.block_id,
                        "first_seen": r.first_seen,
                        "updated_at": r.updated_at,
                        "changed_by": r.changed_by,
                    }
                    for r in rows
                ]
            )
        )
        new = stmt.excluded
        has_message = new.channel_id.is_not(None)
        return stmt.on_conflict_do_update(
            index_elements=[invitations.c.id],
            set_={
                **sighted(new),
                "inviter_slack_id": func.coalesce(
                    new.inviter_slack_id, invitations.c.inviter_slack_id
                ),
                # A status seen without its actor keeps the actor the bot recorded.
                "changed_by": case(
                    (
                        new.status == invitations.c.status,
                        func.coalesce(new.changed_by, invitations.c.changed_by),
                    ),
                    else_=new.changed_by,
                ),
                # The message location moves as one piece, never half of it.
                "channel_id": case((has_message, new.channel_id), else_=invitations.c.channel_id),
                "message_ts": case((has_message, new.message_ts), else_=invitations.c.message_ts),
                "block_id": case((has_message, new.block_id), else_=invitations.c.block_id),
            },
        )

    def set_message(
        self, invitation_id: str, *, channel_id: str, message_ts: str, block_id: str
    ) -> None:
        """Remember where the bot posted the invitation's result, to update it later."""
        update_one(
            self._conn,
            invitations,
            invitations.c.id == invitation_id,
            values={"channel_id": channel_id, "message_ts": message_ts, "block_id": block_id},
            what="invitation",
            key=invitation_id,
        )

    def get(self, invitation_id: str) -> KnownInvitation | None:
        result = self._conn.execute(select(invitations).where(invitations.c.id == invitation_id))
        row = result.mappings().first()
        return None if row is None else invitation_from_row(row)

    def get_many(self, invitation_ids: Sequence[str]) -> list[KnownInvitation]:
        """The known invitations among `invitation_ids` (any order)."""
        found: list[KnownInvitation] = []
        for chunk in chunks(list(dict.fromkeys(invitation_ids))):
            found += self._select(select(invitations).where(invitations.c.id.in_(chunk)))
        return found

    def by_email(self, email: str, *, status: str | None = None) -> list[KnownInvitation]:
        """Invitations to `email` (compared case-insensitively), oldest first."""
        query = select(invitations).where(func.lower(invitations.c.email) == email.lower())
        if status is not None:
            query = query.where(invitations.c.status == status)
        return self._select(query)

    def with_status(self, status: str) -> list[KnownInvitation]:
        """Invitations with `status`, oldest first."""
        return self._select(select(invitations).where(invitations.c.status == status))

    def count(self) -> int:
        result = self._conn.execute(select(func.count()).select_from(invitations))
        return int(result.scalar_one())

    def _select(self, query: Any) -> list[KnownInvitation]:
        result = self._conn.execute(query.order_by(invitations.c.first_seen, invitations.c.id))
        return [invitation_from_row(row) for row in result.mappings()]


def sighted(new: Any) -> dict[str, Any]:
    """What a newer sighting (the `excluded` row of an upsert) overwrites of an invitation."""
    return {name: new[name] for name in ("email", "role", "status", "expires", "updated_at")}


def invitation_from_row(row: RowMapping) -> KnownInvitation:
    return from_row(KnownInvitation, row)
