"""The Re-invite button and `/gencove reinvite EMAIL`: read the request, re-invite (see
`reinviting`), then say what happened where the person will see it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from invite_bot.domain.command.types import Reinvite
from invite_bot.domain.text import escape_mrkdwn, slack_date
from invite_bot.features.reinvite.blocks import REINVITABLE, REINVITE
from invite_bot.features.reinvite.reinviting import Clicked, Reinviting, valid_invitation_id
from invite_bot.features.revoke.blocks import parse_revoke_value
from invite_bot.gencove.models import ListStatus
from invite_bot.slack.blockkit import Message
from invite_bot.slack.guard import Reply, Turn, later, then
from invite_bot.slack.people import Inviters, require_inviter
from invite_bot.slack.router import Router

# A `/gencove list` page as it now is (the listing feature's), shown again after a click.
ShowPage = Callable[[ListStatus, int], Awaitable[Message]]


def register(
    router: Router, reinviting: Reinviting, inviters: Inviters, show_page: ShowPage
) -> None:
    turns = _Turns(reinviting, inviters, show_page)

    def typed(command: Reinvite, turn: Turn) -> Reply:
        return then(lambda: turns.typed(command.email, turn))

    router.subcommand(Reinvite, typed, name="reinvite")
    router.action(REINVITE, later(turns.clicked), name="reinvite")


class _Turns:
    def __init__(self, reinviting: Reinviting, inviters: Inviters, show_page: ShowPage) -> None:
        self.reinviting, self.inviters, self.show_page = reinviting, inviters, show_page

    async def clicked(self, turn: Turn) -> None:
        """A click on Re-invite, in a result message, a notice, a reminder or a list."""
        request = turn.request
        if not await require_inviter(self.inviters, turn):
            return
        value, list_page = parse_revoke_value(str(turn.payload.get("value") or ""))
        invitation_id = valid_invitation_id(value)
        if invitation_id is None:
            await turn.reply("That button does not name an invitation; nothing was re-invited.")
            return
        host = (
            None
            if list_page
            else await self.reinviting.host_for(request.channel_id, request.message_ts)
        )
        who = Clicked(
            user_id=request.user,
            channel_id=request.channel,
            response_url=request.response_url,
            delivery_key=request.delivery_key,
        )
        outcome = await self.reinviting.reinvite(invitation_id, who, host=host)
        if list_page is not None:
            page = await self.show_page(list_page.status, list_page.offset)
            await turn.reply(page, replace=True)
        if outcome.result != "reinvited" and outcome.note:
            await turn.reply(outcome.note)

    async def typed(self, email: str, turn: Turn) -> None:
        """`/gencove reinvite EMAIL`: re-invite the newest invitation to that address."""
        request = turn.request
        if not await require_inviter(self.inviters, turn):
            return
        latest = await self.reinviting.latest_for(email)
        shown = escape_mrkdwn(email)
        if latest is None:
            await turn.reply(
                f"There is no invitation to {shown} to re-invite; use `/gencove invite`."
            )
            return
        if latest.status == "pending":
            await turn.reply(
                f"The invitation to {shown} is still pending (expires "
                f"{slack_date(latest.expires)}), so no second one was sent.",
            )
            return
        if latest.status not in REINVITABLE:
            await turn.reply(f"{shown} already {latest.status} the invitation.")
            return
        who = Clicked(
            user_id=request.user,
            channel_id=request.channel,
            response_url=request.response_url,
            delivery_key=request.delivery_key,
        )
        outcome = await self.reinviting.reinvite(latest.id, who, host=None)
        if outcome.result != "reinvited" and outcome.note:
            await turn.reply(outcome.note)
