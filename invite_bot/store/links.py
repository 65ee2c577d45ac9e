"""Linked personal Gencove accounts: a Slack user's own API key, encrypted by the caller
(`invite_bot.config.vault`) before it gets here, so `/gencove accept` can act as that person."""

from __future__ import annotations

from sqlalchemy import select

from invite_bot.domain.records import LinkedAccount

from .db import Connections, delete_count, from_row
from .schema import linked_accounts, utcnow


class Links:
    def __init__(self, db: Connections) -> None:
        self._db = db

    async def save(
        self, slack_user_id: str, *, ciphertext: str, gencove_user_id: str, gencove_email: str
    ) -> None:
        """Store (or replace) the user's encrypted personal key."""
        stmt = self._db.insert(linked_accounts).values(
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
        async with self._db.write() as conn:
            await conn.execute(stmt)

    async def get(self, slack_user_id: str) -> LinkedAccount | None:
        async with self._db.read() as conn:
            result = await conn.execute(
                select(linked_accounts).where(linked_accounts.c.slack_user_id == slack_user_id)
            )
            row = result.mappings().first()
        return None if row is None else from_row(LinkedAccount, row)

    async def delete(self, slack_user_id: str) -> bool:
        """Forget the user's key; False when there was none."""
        async with self._db.write() as conn:
            removed = await delete_count(
                conn, linked_accounts, linked_accounts.c.slack_user_id == slack_user_id
            )
        return bool(removed)
