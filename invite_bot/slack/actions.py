"""Button clicks: Revoke, list pages, Accept, and Link-account from an accept card."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from invite_bot.core.text import escape_mrkdwn
from invite_bot.slack import accepting, listing
from invite_bot.slack.blocks import (
    ACCEPT,
    LINK_FROM_CARD,
    LIST_PAGE,
    REVOKE,
    link_modal,
    parse_page_value,
    parse_revoke_value,
)
from invite_bot.slack.commands import (
    LINKING_OFF,
    describe,
    guarded,
    guarded_once,
    require_inviter,
)
from invite_bot.slack.context import Bot
from invite_bot.slack.results import render_job
from invite_bot.slack.revoking import revoke


def register(app: AsyncApp, bot: Bot) -> None:
    @app.action(REVOKE)
    async def revoke_clicked(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        await guarded_once(bot, body, respond, lambda: _revoke(bot, body, action, respond))

    @app.action(re.compile(f"^{LIST_PAGE}"))
    async def page_clicked(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        await guarded_once(bot, body, respond, lambda: _page(bot, body, action, respond))

    @app.action(ACCEPT)
    async def accept_clicked(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        await guarded_once(bot, body, respond, lambda: _accept(bot, body, action, respond))

    @app.action(LINK_FROM_CARD)
    async def link_clicked(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        await guarded(respond, lambda: _link_from_card(bot, body, action, respond))


def _channel(body: dict[str, Any]) -> str | None:
    channel = body.get("channel") or {}
    return channel.get("id") or (body.get("container") or {}).get("channel_id")


async def _revoke(
    bot: Bot, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
) -> None:
    user_id = body["user"]["id"]
    if not await require_inviter(bot, user_id, respond):
        return
    invitation_id, list_page = parse_revoke_value(str(action.get("value") or ""))
    channel_id = _channel(body)
    outcome = await revoke(bot, invitation_id, user_id=user_id, channel_id=channel_id)
    if list_page is not None:
        # An ephemeral list: show the page again as Gencove now has it.
        status, offset = list_page
        message = await listing.page(bot, status, offset)  # type: ignore[arg-type]
        shown = await respond(replace_original=True, text=message.text, blocks=message.blocks)
        shown_ok = shown.status_code == 200
    else:
        shown_ok = outcome.message_updated or (
            outcome.result in {"revoked", "not_pending"}
            and await _replace_clicked_message(bot, body, invitation_id, respond)
        )
    email = escape_mrkdwn(outcome.email) if outcome.email else "That invitation"
    if outcome.result != "revoked":
        await respond(
            response_type="ephemeral", replace_original=False, text=f"{email}: {describe(outcome)}"
        )
    elif not shown_ok:
        await respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"{email}: revoked. (The message could not be updated to show it.)",
        )


async def _replace_clicked_message(
    bot: Bot, body: dict[str, Any], invitation_id: str, respond: AsyncRespond
) -> bool:
    """Show the new status on the clicked message through this click's response_url.

    Used when `revoke` could not update the message itself: it was posted through a
    response_url (the bot is not in that channel), or Slack refused `chat.update`.
    """
    channel_id, ts = _channel(body), (body.get("message") or {}).get("ts")
    job = await bot.store.jobs.for_message(channel_id, ts) if channel_id and ts else None
    # A message posted through response_url is not tracked: find it by what it showed.
    job = job or await bot.store.jobs.for_invitation(invitation_id)
    if job is None:
        return False
    rendered = await render_job(bot, job)
    sent = await respond(
        replace_original=True,
        response_type="in_channel",
        text=rendered.text,
        blocks=rendered.blocks,
    )
    return sent.status_code == 200


async def _page(
    bot: Bot, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
) -> None:
    if not await require_inviter(bot, body["user"]["id"], respond):
        return
    status, offset = parse_page_value(str(action.get("value") or ""))
    message = await listing.page(bot, status, offset)  # type: ignore[arg-type]
    await respond(replace_original=True, text=message.text, blocks=message.blocks)


async def _accept(
    bot: Bot, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
) -> None:
    message = await accepting.accept(
        bot, str(action.get("value") or ""), body["user"]["id"], _channel(body)
    )
    await respond(replace_original=True, text=message.text, blocks=message.blocks)


async def _link_from_card(
    bot: Bot, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
) -> None:
    if not await bot.first_delivery(body):
        return  # a Slack retry: its trigger_id is spent, the modal is already open
    if bot.vault is None:
        await respond(response_type="ephemeral", replace_original=False, text=LINKING_OFF)
        return
    metadata = json.dumps(
        {
            "channel_id": _channel(body),
            "token": action.get("value"),
            "response_url": body.get("response_url"),
        }
    )
    await bot.slack.views_open(trigger_id=body["trigger_id"], view=link_modal(metadata=metadata))
