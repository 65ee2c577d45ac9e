"""The Revoke button (on a result message, a notice or a list page; Slack asks to confirm
first) and `/gencove revoke EMAIL|ID …`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from invite_bot.domain.command.types import Revoke
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.revoke.blocks import REVOKE, describe, parse_revoke_value
from invite_bot.features.revoke.revoking import Revoking
from invite_bot.features.revoke.typed import RevokeCommand
from invite_bot.gencove.models import ListStatus
from invite_bot.jobs.refresh import Messages
from invite_bot.slack.blockkit import Message
from invite_bot.slack.guard import Reply, Turn, later, then
from invite_bot.slack.people import Inviters, require_inviter
from invite_bot.slack.router import Router
from invite_bot.store import InviteJob, Store, Tx

# A `/gencove list` page as it now is (the listing feature's), shown again after a click.
ShowPage = Callable[[ListStatus, int], Awaitable[Message]]


def register(
    router: Router,
    *,
    revoking: Revoking,
    command: RevokeCommand,
    inviters: Inviters,
    show_page: ShowPage,
    messages: Messages,
    store: Store,
) -> None:
    clicks = _Clicks(revoking, inviters, show_page, messages, store)

    async def typed(parsed: Revoke, turn: Turn) -> None:
        # One line per target: Gencove failing for one does not hide the others.
        if await require_inviter(inviters, turn):
            request = turn.request
            reply = await command.revoke_typed(
                parsed.targets, user_id=request.user, channel_id=request.channel
            )
            await turn.reply(reply)

    def revoke_typed(parsed: Revoke, turn: Turn) -> Reply:
        return then(lambda: typed(parsed, turn))

    router.subcommand(Revoke, revoke_typed, name="revoke")
    router.action(REVOKE, later(clicks.revoke), name="revoke")


class _Clicks:
    def __init__(
        self,
        revoking: Revoking,
        inviters: Inviters,
        show_page: ShowPage,
        messages: Messages,
        store: Store,
    ) -> None:
        self.revoking, self.inviters, self.show_page = revoking, inviters, show_page
        self.messages, self.store = messages, store

    async def revoke(self, turn: Turn) -> None:
        request = turn.request
        if not await require_inviter(self.inviters, turn):
            return
        invitation_id, list_page = parse_revoke_value(str(turn.payload.get("value") or ""))
        outcome = await self.revoking.revoke(
            invitation_id, user_id=request.user, channel_id=request.channel_id
        )
        if request.response_url is None:
            # Clicked on a view (the Home tab): no message to replace; the view is shown
            # again from the store once the revoke is recorded.
            shown_ok = True
        elif list_page is not None:
            # An ephemeral list: show the page again as Gencove now has it.
            page = await self.show_page(list_page.status, list_page.offset)
            shown_ok = await turn.reply(page, replace=True)
        else:
            shown_ok = outcome.message_updated or (
                outcome.result in {"revoked", "not_pending"}
                and await self._replace_clicked_message(turn, invitation_id)
            )
        email = escape_mrkdwn(outcome.email) if outcome.email else "That invitation"
        if outcome.result != "revoked":
            await turn.reply(f"{email}: {describe(outcome)}")
        elif not shown_ok:
            await turn.reply(f"{email}: revoked. (The message could not be updated to show it.)")

    async def _replace_clicked_message(self, turn: Turn, invitation_id: str) -> bool:
        """Show the new status on the clicked message through this click's response_url.

        Used when the revoke could not update the message itself: it was posted through a
        response_url (the bot is not in that channel), or Slack refused `chat.update`.
        """
        channel_id, ts = turn.request.channel_id, turn.request.message_ts
        job = await self.store.read(lambda tx: _job_shown(tx, invitation_id, channel_id, ts))
        if job is None:
            return False
        rendered = await self.messages.render_job(job)
        return await turn.reply(rendered, replace=True, public=True)


def _job_shown(
    tx: Tx, invitation_id: str, channel_id: str | None, ts: str | None
) -> InviteJob | None:
    """The job whose message is at (channel, ts), else the latest that showed the
    invitation (a message posted through response_url is not tracked)."""
    job = tx.jobs.for_message(channel_id, ts) if channel_id and ts else None
    return job or tx.jobs.for_invitation(invitation_id)
