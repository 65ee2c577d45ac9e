"""What the watcher's own messages show, read from the store: a notification, reminder or
DM as it was queued (its outbox item), plus — once someone re-invited from it — who did
and the new invitation's row. Rebuilt from stored facts, so a click, a poll or a restart
updates it the same way. Also the re-invite overlay of result-message and list rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import cast

from invite_bot.domain.notifications import NoticeKind
from invite_bot.domain.records import InviteRow, Reinvite
from invite_bot.features.notify.blocks import Notice, notice_message
from invite_bot.jobs.rows import known_row
from invite_bot.slack.blockkit import Message
from invite_bot.store import KnownInvitation, OutboxItem, Store, Tx

NOTICE_KINDS = ("notify", "reminder", "dm")


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


class Notices:
    """The notices the watcher posts (notifications, reminders, DMs), read back from the store."""

    def __init__(self, *, store: Store) -> None:
        self.store = store

    async def notice_for(self, item: OutboxItem) -> Notice:
        """The notice an outbox item shows, as of now (with its re-invite, if any)."""
        payload = item.payload
        known, reinvite, new = await self.store.read(lambda tx: _read(tx, item.invitation_id))
        row = InviteRow(
            email=str(payload.get("email") or (known.email if known else "")),
            status=item.new_status,
            role=str(payload.get("role") or (known.role if known else "")),
            invitation_id=item.invitation_id,
            expires=_when(payload.get("expires")) or (known.expires if known else None),
            changed_by=(known.changed_by if known and known.status == item.new_status else None)
            or _str(payload.get("actor_name")),
        )
        inviter = (known.inviter_slack_id if known else None) or _str(
            payload.get("inviter_slack_id")
        )
        notice = Notice(kind=cast(NoticeKind, item.kind), row=row, inviter_id=inviter)
        if reinvite is None:
            return notice
        return replace(
            notice,
            reinvited_by=reinvite.by_user,
            new_row=known_row(new) if new else None,
            reinviting=new is None,
        )

    async def posted_notice(
        self, channel_id: str, message_ts: str, *, invitation_id: str | None = None
    ) -> OutboxItem | None:
        """The one notice posted as the message (channel, ts); None for a summary or none."""
        posted = await self.store.read(
            lambda tx: tx.outbox.posted(message_ts, invitation_id=invitation_id)
        )
        items = [
            item
            for item in posted
            if item.kind in NOTICE_KINDS and _same_place(item.channel_id, channel_id)
        ]
        ids = {item.invitation_id for item in items}
        return items[0] if len(ids) == 1 else None

    async def render_posted(self, channel_id: str, message_ts: str) -> Message | None:
        item = await self.posted_notice(channel_id, message_ts)
        return None if item is None else notice_message(await self.notice_for(item))


def _read(
    tx: Tx, invitation_id: str
) -> tuple[KnownInvitation | None, Reinvite | None, KnownInvitation | None]:
    """The invitation as known, its re-invite if any, and the re-invite's new invitation."""
    reinvite = tx.reinvites.get(invitation_id)
    new_id = reinvite.new_invitation_id if reinvite else None
    new = tx.invitations.get(new_id) if new_id else None
    return tx.invitations.get(invitation_id), reinvite, new


def _str(value: object) -> str | None:
    return str(value) if value else None


def _same_place(queued_for: str, shown_in: str) -> bool:
    """A DM is queued for a user (U…) and shown in the conversation with them (D…)."""
    return queued_for == shown_in or (queued_for[:1] in "UW" and shown_in[:1] == "D")
