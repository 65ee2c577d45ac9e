"""Known invitations: the organization's invitations as the bot last saw them, and where the
bot posted about each (its message location, so a later change can update that post); and
re-invites: which invitation was re-invited, by whom, and as which new invitation.

`Reinvites.claim` is the one conditional insert that makes a double click (or two
replicas) re-invite once; a re-invite that was refused lets go of its claim (`release`),
so it can be tried again once the reason is gone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, case, func, select

from invite_bot.domain.records import KnownInvitation, Reinvite
from invite_bot.store.repositories.repository import (
    Repository,
    chunks,
    delete_count,
    from_row,
    insert_or_nothing_returning,
    update_count,
    update_one,
    values_of,
)
from invite_bot.store.schema import invitations, reinvites, utcnow


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


class Reinvites(Repository):
    def claim(self, invitation_id: str, *, email: str, by_user: str) -> bool:
        """Start re-inviting `invitation_id`; False when it is (being) re-invited already."""
        row = {"invitation_id": invitation_id, "email": email, "by_user": by_user, "at": utcnow()}
        created = insert_or_nothing_returning(self._conn, reinvites, row, reinvites.c.invitation_id)
        return bool(created)

    def made(self, invitation_id: str, new_invitation_id: str) -> None:
        """The re-invite of `invitation_id` created `new_invitation_id`."""
        update_count(
            self._conn,
            reinvites,
            reinvites.c.invitation_id == invitation_id,
            values={"new_invitation_id": new_invitation_id},
        )

    def release(self, invitation_id: str) -> None:
        delete_count(self._conn, reinvites, reinvites.c.invitation_id == invitation_id)

    def get(self, invitation_id: str) -> Reinvite | None:
        found = self.get_many([invitation_id])
        return found.get(invitation_id)

    def get_many(self, invitation_ids: Sequence[str]) -> dict[str, Reinvite]:
        """The re-invites of those of `invitation_ids` that were re-invited, by old id."""
        found: dict[str, Reinvite] = {}
        for chunk in chunks(sorted(set(invitation_ids))):
            result = self._conn.execute(
                select(reinvites).where(reinvites.c.invitation_id.in_(chunk))
            )
            for row in result.mappings():
                found[row["invitation_id"]] = from_row(Reinvite, row)
        return found
