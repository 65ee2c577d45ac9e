"""Reminders, each queued exactly once: before a pending invitation expires
(`Reminders`), and of an invite request nobody decided (`RequestReminders`).

`queue` inserts one row per invitation (`reminders`) or per request (`request_reminders`)
with ON CONFLICT DO NOTHING and, only for the rows it created, the reminder's posts and an
audit entry, all in one transaction: a second watcher, a restart or a repeated poll finds
the row and queues nothing. An invitation's reminder posts in each channel and to the
inviter; a request's (outbox kind 'request_reminder') where the request was posted and to
the member who asked, each post then taken for sending with a conditional UPDATE (`take`),
so of two senders one posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from invite_bot.domain.records import InviteRequest, KnownInvitation, OutboxItem
from invite_bot.store.repositories.audit import AuditLog
from invite_bot.store.repositories.notify import opted_out
from invite_bot.store.repositories.outbox import outbox_item_from_row
from invite_bot.store.repositories.repository import (
    Repository,
    chunks,
    insert_or_nothing_returning,
    update_count,
)
from invite_bot.store.schema import invite_requests, outbox, reminders, request_reminders, utcnow


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
            posts += [_invitation_post(invitation, target, now) for target in targets]
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


def _invitation_post(invitation: KnownInvitation, channel_id: str, now: datetime) -> dict[str, Any]:
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


KIND = "request_reminder"
TO_INVITERS = "open"  # an outbox item's new_status: the reminder where the request is
TO_REQUESTER = "waiting"  # ... and the note to the member who asked


def reminder_key(request_id: int) -> str:
    """The outbox's `invitation_id` of a request's reminder posts."""
    return f"request:{request_id}"


class RequestReminders(Repository):
    def due(self, asked_before: datetime, now: datetime, *, limit: int = 100) -> list[int]:
        """Open requests asked at or before `asked_before`, not expired, never reminded."""
        query = (
            select(invite_requests.c.id)
            .outerjoin(request_reminders, request_reminders.c.request_id == invite_requests.c.id)
            .where(
                invite_requests.c.status == "open",
                invite_requests.c.created_at <= asked_before,
                invite_requests.c.expires_at > now,
                request_reminders.c.request_id.is_(None),
            )
            .order_by(invite_requests.c.id)
            .limit(limit)
        )
        return [int(i) for i in self._conn.execute(query).scalars()]

    def queue(self, request: InviteRequest, *, now: datetime) -> list[OutboxItem]:
        """Claim the request's one reminder and queue its posts; [] if it was claimed before."""
        claimed = insert_or_nothing_returning(
            self._conn,
            request_reminders,
            {"request_id": request.id, "queued_at": now},
            request_reminders.c.request_id,
        )
        if not claimed:
            return []
        places = [m.channel_id for m in request.messages if m.message_ts]
        rows = [_request_post(request, channel, TO_INVITERS, now) for channel in places]
        rows.append(_request_post(request, request.requester_slack_id, TO_REQUESTER, now))
        made = insert_or_nothing_returning(self._conn, outbox, rows, *outbox.c)
        AuditLog(self._conn).add(
            actor_slack_id=None,
            action="request_reminded",
            channel_id=request.channel_id,
            detail={
                "request": request.id,
                "requester": request.requester_slack_id,
                "addresses": list(request.addresses),
                "to": [*places, request.requester_slack_id],
            },
        )
        return sorted((outbox_item_from_row(row) for row in made), key=lambda i: i.id)

    def waiting(self, *, stale: timedelta, limit: int = 100) -> list[OutboxItem]:
        """Posts to send: pending ones, and those left 'sending' longer than `stale` ago
        (a sender died mid-post: its history is checked before any second post)."""
        now = utcnow()
        query = (
            select(outbox)
            .where(
                outbox.c.kind == KIND,
                outbox.c.available_at <= now,
                or_(
                    outbox.c.state == "pending",
                    (outbox.c.state == "sending") & (outbox.c.updated_at <= now - stale),
                ),
            )
            .order_by(outbox.c.id)
            .limit(limit)
        )
        return [outbox_item_from_row(row) for row in self._conn.execute(query).mappings()]

    def take(self, item: OutboxItem) -> bool:
        """Mark the post 'sending' if nobody took it since it was read; True for one caller."""
        return (
            update_count(
                self._conn,
                outbox,
                outbox.c.id == item.id,
                outbox.c.state == item.state,
                outbox.c.attempts == item.attempts,
                values={"state": "sending", "attempts": item.attempts + 1, "updated_at": utcnow()},
            )
            == 1
        )

    def posted(self, request_id: int) -> list[tuple[str, str]]:
        """Where the request's reminder landed (channel, ts), to show its outcome there."""
        query = select(outbox.c.channel_id, outbox.c.slack_ts).where(
            outbox.c.kind == KIND,
            outbox.c.invitation_id == reminder_key(request_id),
            outbox.c.new_status == TO_INVITERS,
            outbox.c.state == "sent",
            outbox.c.slack_ts.is_not(None),
        )
        return [(str(c), str(ts)) for c, ts in self._conn.execute(query).all()]


def _request_post(
    request: InviteRequest, channel_id: str, to: str, now: datetime
) -> dict[str, Any]:
    return {
        "kind": KIND,
        "invitation_id": reminder_key(request.id),
        "new_status": to,
        "channel_id": channel_id,
        "payload": {"request_id": request.id},
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "available_at": now,
    }
