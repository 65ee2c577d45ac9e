"""Linked personal Gencove accounts: a Slack user's own API key, encrypted by the caller
(`invite_bot.config.vault`) before it gets here, so `/gencove accept` can act as that person."""

from __future__ import annotations

from sqlalchemy import select

from invite_bot.domain.records import LinkedAccount
from invite_bot.store.repositories.repository import Repository, delete_count, from_row
from invite_bot.store.schema import linked_accounts, utcnow


class Links(Repository):
    def save(
        self, slack_user_id: str, *, ciphertext: str, gencove_user_id: str, gencove_email: str
    ) -> None:
        """Store (or replace) the user's encrypted personal key."""
        stmt = self.insert(linked_accounts).values(
            slack_user_id=slack_user_id,
            ciphertext=ciphertext,
            gencove_user_id=gencove_user_id,
            gencove_email=gencove_email,
            linked_at=utcnow(),
        )
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[linked_accounts.c.slack_user_id],
            set_={
                "ciphertext": new.ciphertext,
                "gencove_user_id": new.gencove_user_id,
                "gencove_email": new.gencove_email,
                "linked_at": new.linked_at,
            },
        )
        self._conn.execute(stmt)

    def get(self, slack_user_id: str) -> LinkedAccount | None:
        result = self._conn.execute(
            select(linked_accounts).where(linked_accounts.c.slack_user_id == slack_user_id)
        )
        row = result.mappings().first()
        return None if row is None else from_row(LinkedAccount, row)

    def delete(self, slack_user_id: str) -> bool:
        """Forget the user's key; False when there was none."""
        removed = delete_count(
            self._conn, linked_accounts, linked_accounts.c.slack_user_id == slack_user_id
        )
        return bool(removed)
