"""Button clicks: Revoke, list pages, Accept, and Link-account from an accept card."""

from __future__ import annotations

import json
import re

from invite_bot.bot import Bot
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.accounts import accepting
from invite_bot.features.accounts.blocks import ACCEPT, LINK_FROM_CARD, LINKING_OFF, link_modal
from invite_bot.features.listing import pages as listing
from invite_bot.features.listing.blocks import LIST_PAGE
from invite_bot.features.reinvite import listeners as reinvite_turns
from invite_bot.features.reinvite.blocks import REINVITE
from invite_bot.features.revoke.blocks import REVOKE, describe, parse_revoke_value
from invite_bot.features.revoke.revoking import revoke
from invite_bot.jobs.refresh import render_job
from invite_bot.slack.guard import Reply, Turn, then
from invite_bot.slack.people import require_inviter
from invite_bot.slack.router import Router
from invite_bot.slack.trust import parse_page_value
from invite_bot.store import InviteJob, Tx


def register(router: Router, bot: Bot) -> None:
    # Each click acknowledges at once; its work runs for the first delivery only.
    def revoke_clicked(turn: Turn) -> Reply:
        return then(lambda: _revoke(bot, turn))

    def page_clicked(turn: Turn) -> Reply:
        return then(lambda: _page(bot, turn))

    def accept_clicked(turn: Turn) -> Reply:
        return then(lambda: _accept(bot, turn))

    def link_clicked(turn: Turn) -> Reply:
        # Its retry opens nothing: the trigger_id is spent, the modal already open.
        return then(lambda: _link_from_card(bot, turn))

    def reinvite_clicked(turn: Turn) -> Reply:
        return then(lambda: reinvite_turns.clicked(bot, turn))

    router.action(REVOKE, revoke_clicked, name="revoke")
    router.action(REINVITE, reinvite_clicked, name="reinvite")
    router.action(re.compile(f"^{LIST_PAGE}"), page_clicked, name="list_page")
    router.action(ACCEPT, accept_clicked, name="accept")
    router.action(LINK_FROM_CARD, link_clicked, name="link_account")


def _value(turn: Turn) -> str:
    return str(turn.payload.get("value") or "")


async def _revoke(bot: Bot, turn: Turn) -> None:
    request = turn.request
    user_id = request.user
    if not await require_inviter(bot.inviters, turn):
        return
    invitation_id, list_page = parse_revoke_value(_value(turn))
    channel_id = request.channel_id
    outcome = await revoke(bot, invitation_id, user_id=user_id, channel_id=channel_id)
    if list_page is not None:
        # An ephemeral list: show the page again as Gencove now has it.
        status, offset = list_page
        message = await listing.page(bot, status, offset)  # type: ignore[arg-type]
        shown_ok = await turn.reply(message, replace=True)
    else:
        shown_ok = outcome.message_updated or (
            outcome.result in {"revoked", "not_pending"}
            and await _replace_clicked_message(bot, turn, invitation_id)
        )
    email = escape_mrkdwn(outcome.email) if outcome.email else "That invitation"
    if outcome.result != "revoked":
        await turn.reply(f"{email}: {describe(outcome)}")
    elif not shown_ok:
        await turn.reply(f"{email}: revoked. (The message could not be updated to show it.)")


def _job_shown(
    tx: Tx, invitation_id: str, channel_id: str | None, ts: str | None
) -> InviteJob | None:
    """The job whose message is at (channel, ts), else the latest that showed the
    invitation (a message posted through response_url is not tracked)."""
    job = tx.jobs.for_message(channel_id, ts) if channel_id and ts else None
    return job or tx.jobs.for_invitation(invitation_id)


async def _replace_clicked_message(bot: Bot, turn: Turn, invitation_id: str) -> bool:
    """Show the new status on the clicked message through this click's response_url.

    Used when `revoke` could not update the message itself: it was posted through a
    response_url (the bot is not in that channel), or Slack refused `chat.update`.
    """
    channel_id, ts = turn.request.channel_id, turn.request.message_ts
    job = await bot.store.read(lambda tx: _job_shown(tx, invitation_id, channel_id, ts))
    if job is None:
        return False
    rendered = await render_job(bot, job)
    return await turn.reply(rendered, replace=True, public=True)


async def _page(bot: Bot, turn: Turn) -> None:
    if not await require_inviter(bot.inviters, turn):
        return
    status, offset = parse_page_value(_value(turn))
    message = await listing.page(bot, status, offset)  # type: ignore[arg-type]
    await turn.reply(message, replace=True)


async def _accept(bot: Bot, turn: Turn) -> None:
    request = turn.request
    message = await accepting.accept(bot, _value(turn), request.user, request.channel_id)
    await turn.reply(message, replace=True)


async def _link_from_card(bot: Bot, turn: Turn) -> None:
    request = turn.request
    if bot.vault is None:
        await turn.reply(LINKING_OFF)
        return
    metadata = json.dumps(
        {
            "channel_id": request.channel_id,
            "token": turn.payload.get("value"),
            "response_url": request.response_url,
        }
    )
    await turn.open_form(link_modal(metadata=metadata))
