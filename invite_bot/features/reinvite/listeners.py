"""The Re-invite button and `/gencove reinvite EMAIL`: read the request, re-invite (see
`reinviting`), then say what happened where the person will see it."""

from __future__ import annotations

from invite_bot.bot import Bot
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.listing import pages as listing
from invite_bot.features.reinvite.blocks import REINVITABLE
from invite_bot.features.reinvite.reinviting import (
    Clicked,
    host_for,
    latest_for,
    reinvite,
    valid_invitation_id,
)
from invite_bot.features.revoke.blocks import parse_revoke_value
from invite_bot.slack.blockkit import slack_date
from invite_bot.slack.guard import Turn
from invite_bot.slack.people import require_inviter


async def clicked(bot: Bot, turn: Turn) -> None:
    """A click on Re-invite, in a result message, a notice, a reminder or a list."""
    request = turn.request
    if not await require_inviter(bot.inviters, turn):
        return
    value, list_page = parse_revoke_value(str(turn.payload.get("value") or ""))
    invitation_id = valid_invitation_id(value)
    if invitation_id is None:
        await turn.reply("That button does not name an invitation; nothing was re-invited.")
        return
    host = None if list_page else await host_for(bot, request.channel_id, request.message_ts)
    who = Clicked(
        user_id=request.user,
        channel_id=request.channel,
        response_url=request.response_url,
        delivery_key=request.delivery_key,
    )
    outcome = await reinvite(bot, invitation_id, who, host=host)
    if list_page is not None:
        status, offset = list_page
        page = await listing.page(bot, status, offset)  # type: ignore[arg-type]
        await turn.reply(page, replace=True)
    if outcome.result != "reinvited":
        await turn.reply(outcome.note)


async def typed(bot: Bot, email: str, turn: Turn) -> None:
    """`/gencove reinvite EMAIL`: re-invite the newest invitation to that address."""
    request = turn.request
    if not await require_inviter(bot.inviters, turn):
        return
    latest = await latest_for(bot, email)
    shown = escape_mrkdwn(email)
    if latest is None:
        await turn.reply(f"There is no invitation to {shown} to re-invite; use `/gencove invite`.")
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
    outcome = await reinvite(bot, latest.id, who, host=None)
    if outcome.result != "reinvited":
        await turn.reply(outcome.note)
