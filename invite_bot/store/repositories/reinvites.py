"""Re-invites: which invitation was re-invited, by whom, and as which new invitation.

`claim` is the one conditional insert that makes a double click (or two replicas) re-invite
once; a re-invite that was refused lets go of its claim (`release`), so it can be tried
again once the reason is gone.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from invite_bot.domain.records import Reinvite
from invite_bot.store.repositories.repository import (
    Repository,
    chunks,
    delete_count,
    from_row,
    insert_or_nothing_returning,
    update_count,
)
from invite_bot.store.schema import reinvites, utcnow


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
