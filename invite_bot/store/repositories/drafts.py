"""Bulk drafts: a bulk invite's checked rows, kept until its asker clicks "Invite the N good
ones" or "Cancel" (or a day passes). `take` is one conditional DELETE ... RETURNING: of two
clicks at once, in one process or two, exactly one gets the draft."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import RowMapping, delete, select

from invite_bot.domain.records import BulkDraft
from invite_bot.store.repositories.jobs import skipped_rows
from invite_bot.store.repositories.repository import Repository, chunks, delete_count
from invite_bot.store.schema import bulk_draft_rows, bulk_drafts, utcnow

DRAFT_LIFETIME = timedelta(days=1)


class Drafts(Repository):
    def save(self, draft: BulkDraft, ttl: timedelta = DRAFT_LIFETIME) -> None:
        """Store `draft` for `ttl`; a draft saved again under its id (a redelivered list)
        replaces the one stored."""
        now = utcnow()
        self._conn.execute(delete(bulk_drafts).where(bulk_drafts.c.id == draft.id))
        self._conn.execute(
            bulk_drafts.insert().values(
                id=draft.id,
                user_id=draft.user_id,
                channel_id=draft.channel_id,
                role=draft.role,
                source=draft.source,
                created_at=now,
                expires_at=now + ttl,
                skipped=[[row.number, row.typed, row.problem] for row in draft.skipped],
            )
        )
        rows = [
            {"draft_id": draft.id, "position": position, "address": address, "role": role}
            for position, (address, role) in enumerate(draft.rows)
        ]
        for chunk in chunks(rows):
            self._conn.execute(bulk_draft_rows.insert(), list(chunk))

    def get(self, draft_id: str) -> BulkDraft | None:
        """The draft, unless it was taken or has expired."""
        header = self._conn.execute(
            select(bulk_drafts).where(
                bulk_drafts.c.id == draft_id, bulk_drafts.c.expires_at > utcnow()
            )
        )
        row = header.mappings().first()
        return None if row is None else _draft(row, self._rows(draft_id))

    def take(self, draft_id: str) -> BulkDraft | None:
        """Remove the draft and return it; None when it is gone (taken, expired, unknown).

        The DELETE decides: a concurrent taker's DELETE finds no row and gets None."""
        rows = self._rows(draft_id)
        taken = self._conn.execute(
            delete(bulk_drafts)
            .where(bulk_drafts.c.id == draft_id, bulk_drafts.c.expires_at > utcnow())
            .returning(*bulk_drafts.c)
        )
        row = taken.mappings().first()
        return None if row is None else _draft(row, rows)

    def prune(self, now: datetime) -> int:
        """Delete the drafts expired by `now` (their rows go with them); returns how many."""
        return delete_count(self._conn, bulk_drafts, bulk_drafts.c.expires_at <= now)

    def _rows(self, draft_id: str) -> tuple[tuple[str, str | None], ...]:
        found = self._conn.execute(
            select(bulk_draft_rows.c.address, bulk_draft_rows.c.role)
            .where(bulk_draft_rows.c.draft_id == draft_id)
            .order_by(bulk_draft_rows.c.position)
        )
        return tuple((str(address), role) for address, role in found)


def _draft(row: RowMapping, rows: tuple[tuple[str, str | None], ...]) -> BulkDraft:
    return BulkDraft(
        id=row["id"],
        user_id=row["user_id"],
        channel_id=row["channel_id"],
        role=row["role"],
        rows=rows,
        source=row["source"],
        skipped=skipped_rows(row["skipped"]),
    )
