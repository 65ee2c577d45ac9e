"""`/gencove list`: one page of Gencove's list, straight from Gencove (the source of truth)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from invite_bot.domain.page_refs import MAX_OFFSET
from invite_bot.domain.records import InviteRow
from invite_bot.features.listing.blocks import ListPage, invitation_list
from invite_bot.gencove import Invitation
from invite_bot.gencove.client import GencoveClient
from invite_bot.gencove.models import ListStatus
from invite_bot.jobs.rows import with_reinvites
from invite_bot.slack.blockkit import Message
from invite_bot.store import Store

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


class Pages:
    """One page of Gencove's list at a time, with the re-invites made from its rows."""

    def __init__(self, *, gencove: GencoveClient, store: Store) -> None:
        self.gencove = gencove
        self.store = store

    async def page(self, status: ListStatus, offset: int) -> Message:
        """One page of PAGE_SIZE rows at most, whatever Gencove sent (the Gencove client cuts a
        page to the limit it asked for; this holds even if it did not): 20 rows, a header and
        the Previous/Next buttons stay within Block Kit's 50 blocks."""
        offset = min(max(0, offset), MAX_OFFSET)
        result = await self.gencove.list_invitations_page(status, PAGE_SIZE, offset)
        shown = result.results[:PAGE_SIZE]
        rows = await self._as_known(shown)
        rows = await with_reinvites(self.store, rows, follow=False)
        return invitation_list(
            ListPage(
                status=status, offset=offset, count=result.count, rows=rows, page_size=PAGE_SIZE
            )
        )

    async def _as_known(self, shown: Sequence[Invitation]) -> list[InviteRow]:
        """The rows, each with who changed it as the bot recorded it: Gencove names the
        key's user ("Org Admin") for what someone did from Slack with the organization's
        key; the bot knows the Slack person."""
        ids = [invitation.id for invitation in shown]
        known = {k.id: k for k in await self.store.read(lambda tx: tx.invitations.get_many(ids))}
        rows = []
        for invitation in shown:
            listed = row(invitation)
            recorded = known.get(invitation.id)
            if recorded and recorded.status == listed.status and recorded.changed_by:
                listed = replace(listed, changed_by=recorded.changed_by)
            rows.append(listed)
        return rows
