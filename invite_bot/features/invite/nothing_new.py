"""When an invite made nothing new — every address already had a pending invitation, was a
member already, or Gencove refused it — the channel hears nothing: a message there would
say nothing happened, and keep a Revoke button that goes stale. The inviter alone is told
what stands, with a link to the message that holds each invitation, when the bot posted
one."""

from __future__ import annotations

from collections.abc import Mapping

from invite_bot.domain.addresses import shown
from invite_bot.domain.records import InviteRow
from invite_bot.domain.text import slack_date
from invite_bot.features.invite.result import made_something
from invite_bot.features.invite.rows import row_line
from invite_bot.slack.blockkit import STATUS_ICON, Message, esc, note, pack
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted
from invite_bot.store import InviteJob, KnownInvitation, Store

HEADER = "No new invitation was sent, so nothing was posted in the channel:"


class NothingNew:
    """The private note for an invite that made nothing new (None when it made something)."""

    def __init__(self, *, store: Store, outbound: Outbound) -> None:
        self.store, self.outbound = store, outbound

    async def __call__(self, job: InviteJob, rows: list[InviteRow]) -> Message | None:
        if made_something(rows):
            return None
        ids = [row.invitation_id for row in rows if row.existing and row.invitation_id]
        found = await self.store.read(lambda tx: tx.invitations.get_many(ids)) if ids else []
        known = {invitation.id: invitation for invitation in found}
        lines = [HEADER]
        for row in rows:
            if row.existing and row.invitation_id:
                lines.append(await self._already_invited(row, known))
            else:
                lines.append(row_line(row))
        texts = pack(lines)
        return Message(text=texts[0], blocks=[b for t in texts for b in note(t).blocks][:50])

    async def _already_invited(self, row: InviteRow, known: Mapping[str, KnownInvitation]) -> str:
        invitation = known.get(row.invitation_id or "")
        inviter = invitation.inviter_slack_id if invitation else None
        sent = f"sent by <@{inviter}>" if inviter else "made outside Slack"
        role = f", role {esc(row.role)}" if row.role else ""
        line = (
            f"{STATUS_ICON['pending']} *{esc(shown(row.email))}* already has a pending "
            f"invitation ({sent}{role}, expires {slack_date(row.expires)})"
        )
        where = await self._where(invitation)
        return f"{line}: {where}." if where else f"{line}."

    async def _where(self, invitation: KnownInvitation | None) -> str | None:
        """A link to the message that shows the invitation, if the bot posted one."""
        if invitation is None or not invitation.channel_id or not invitation.message_ts:
            return None
        link = await self.outbound.reading.permalink(
            Posted(invitation.channel_id, invitation.message_ts)
        )
        if link is not None:
            return f"<{link}|see the message about it>"
        channel = invitation.channel_id
        return f"see the message about it in <#{channel}>" if channel[:1] in "CG" else None
