"""`/gencove list`: one page of Gencove's list, straight from Gencove (the source of truth)."""

from __future__ import annotations

from invite_bot.gencove import Invitation
from invite_bot.gencove.models import ListStatus
from invite_bot.slack.blocks import InviteRow, ListPage, Message, invitation_list
from invite_bot.slack.context import Bot

PAGE_SIZE = 20


def row(invitation: Invitation) -> InviteRow:
    actor = invitation.last_status.actor
    return InviteRow(
        email=invitation.email or "(no address)",
        status=invitation.status,
        role=invitation.role,
        invitation_id=invitation.id,
        expires=invitation.expires,
        changed_by=actor.name if actor and invitation.status != "pending" else None,
    )


async def page(bot: Bot, status: ListStatus, offset: int) -> Message:
    result = await bot.gencove.list_invitations_page(status, PAGE_SIZE, max(0, offset))
    rows = [row(invitation) for invitation in result.results]
    return invitation_list(
        ListPage(status=status, offset=offset, count=result.count, rows=rows, page_size=PAGE_SIZE)
    )
