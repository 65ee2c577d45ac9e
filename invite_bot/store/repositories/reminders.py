"""Reminders before expiry, queued exactly once per invitation.

`queue` inserts one `reminders` row per invitation (ON CONFLICT DO NOTHING) and, only for
the rows it created, the reminder's posts (one per channel, plus a DM to the inviter) and
an audit entry, all in one transaction: a second watcher, a restart or a repeated poll
finds the row and queues nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from invite_bot.domain.records import KnownInvitation, OutboxItem
from invite_bot.store.repositories.audit import AuditLog
from invite_bot.store.repositories.outbox import outbox_item_from_row
from invite_bot.store.repositories.preferences import opted_out
from invite_bot.store.repositories.repository import Repository, chunks, insert_or_nothing_returning
from invite_bot.store.schema import outbox, reminders, utcnow


class Reminders(Repository):
    def queue(self, due: Sequence[KnownInvitation], *, channels: Sequence[str]) -> list[OutboxItem]:
        """Queue the reminder of each of `due` not reminded before; returns the new posts."""
        if not due:
            return []
        now = utcnow()
        by_id = {k.id: k for k in sorted(due, key=lambda k: k.id)}
        created: list[OutboxItem] = []
        rows = [
            {"invitation_id": k.id, "email": k.email, "expires": k.expires, "queued_at": now}
            for k in by_id.values()
        ]
        new: list[str] = []
        for chunk in chunks(rows):
            inserted = insert_or_nothing_returning(
                self._conn, reminders, chunk, reminders.c.invitation_id
            )
            new += [str(row["invitation_id"]) for row in inserted]
        if not new:
            return []
        fresh = [by_id[i] for i in new]
        quiet = opted_out(self._conn, {k.inviter_slack_id for k in fresh if k.inviter_slack_id})
        posts: list[dict[str, Any]] = []
        audit = AuditLog(self._conn)
        for invitation in sorted(fresh, key=lambda k: (k.expires or now, k.id)):
            targets = list(dict.fromkeys(channels))
            inviter = invitation.inviter_slack_id
            if inviter and inviter not in quiet:
                targets.append(inviter)
            posts += [_row(invitation, target, now) for target in targets]
            audit.add(
                actor_slack_id=None,
                action="reminder",
                invitation_id=invitation.id,
                email=invitation.email,
                detail={
                    "expires": _iso(invitation.expires),
                    "to": targets,
                },
            )
        for chunk_rows in chunks(posts):
            made = insert_or_nothing_returning(self._conn, outbox, chunk_rows, *outbox.c)
            created += [outbox_item_from_row(row) for row in made]
        created.sort(key=lambda item: item.id)
        return created


def _row(invitation: KnownInvitation, channel_id: str, now: datetime) -> dict[str, Any]:
    return {
        "kind": "reminder",
        "invitation_id": invitation.id,
        "new_status": "pending",
        "channel_id": channel_id,
        "payload": {
            "invitation_id": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
            "expires": _iso(invitation.expires),
            "inviter_slack_id": invitation.inviter_slack_id,
        },
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "available_at": now,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
