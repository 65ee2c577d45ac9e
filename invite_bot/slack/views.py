"""Modal submissions: the invite modal and the link-account modal."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from invite_bot.core.text import escape_mrkdwn
from invite_bot.gencove import GencoveError
from invite_bot.slack import accepting
from invite_bot.slack.blocks import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    API_KEY_BLOCK,
    API_KEY_INPUT,
    INVITE_MODAL,
    LINK_MODAL,
    ROLE_BLOCK,
    ROLE_INPUT,
    Message,
    ephemeral,
    link_modal,
)
from invite_bot.slack.commands import SOMETHING_BROKE, gencove_failed
from invite_bot.slack.context import Bot, delivery_key
from invite_bot.slack.inviting import invite_if_allowed, read_addresses
from invite_bot.store import NewInviteJob

log = logging.getLogger(__name__)

MODAL_ERROR_LIMIT = 150  # Slack cuts inline field errors; keep them readable


def register(app: AsyncApp, bot: Bot) -> None:
    @app.view(INVITE_MODAL)
    async def invite_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await on_invite_submitted(bot, ack, body, view)

    @app.view(LINK_MODAL)
    async def link_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await on_link_submitted(bot, ack, body, view)


def _value(view: dict[str, Any], block_id: str, action_id: str) -> Any:
    return ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id, {})


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def on_invite_submitted(
    bot: Bot, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
) -> None:
    text = str(_value(view, ADDRESSES_BLOCK, ADDRESSES_INPUT).get("value") or "")
    selected = _value(view, ROLE_BLOCK, ROLE_INPUT).get("selected_option") or {}
    role = selected.get("value") or None
    parsed, refusal = read_addresses(bot.settings, text)
    if refusal is not None:
        # Shown on the field itself; the modal stays open with what was typed.
        await ack(
            response_action="errors",
            errors={ADDRESSES_BLOCK: _plain(refusal.message)[:MODAL_ERROR_LIMIT]},
        )
        return
    await ack()
    user_id = body["user"]["id"]
    channel_id = _metadata(view).get("channel_id") or user_id
    try:
        if not await bot.first_delivery(body):
            return
        job = NewInviteJob(
            slack_user_id=user_id,
            channel_id=channel_id,
            response_url=None,
            role=role,
            addresses=list(parsed.addresses),
            delivery_key=delivery_key(body),
        )
        await invite_if_allowed(bot, job, tell=lambda text: _tell(bot, channel_id, user_id, text))
    except GencoveError as exc:
        await _tell(bot, channel_id, user_id, gencove_failed(exc))
    except Exception:
        log.exception("invite from the modal failed")
        await _tell(bot, channel_id, user_id, SOMETHING_BROKE)


async def on_link_submitted(
    bot: Bot, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
) -> None:
    key = str(_value(view, API_KEY_BLOCK, API_KEY_INPUT).get("value") or "")
    metadata = view.get("private_metadata") or "{}"
    problem = accepting.key_problem(bot, key) if bot.vault is not None else None
    if problem is not None:
        # Answerable without Gencove: shown on the field, the modal stays as it is.
        await ack(response_action="errors", errors={API_KEY_BLOCK: problem[:MODAL_ERROR_LIMIT]})
        return
    # Checking the key takes a Gencove call: acknowledge with a "checking" view first.
    await ack(response_action="update", view=_checking_view())
    user_id = body["user"]["id"]
    meta = _metadata(view)
    if bot.vault is None:
        await _update_view(bot, view, _result_view("Linking is not set up on this bot."))
        return
    try:
        error = await accepting.link(bot, user_id, key, meta.get("channel_id"))
    except Exception:
        log.exception("linking failed")
        error = "Something went wrong on the bot's side. Try again."
    if error is not None:
        form = link_modal(metadata=metadata).to_dict()
        form["blocks"].insert(1, SectionBlock(text=f":warning: {escape_mrkdwn(error)}").to_dict())
        if not await _update_view(bot, view, form):
            await _tell(bot, user_id, user_id, f":warning: Not linked: {escape_mrkdwn(error)}")
        return
    linked = ":white_check_mark: Your Gencove account is linked. You can close this."
    if not await _update_view(bot, view, _result_view(linked)):
        await _tell(bot, user_id, user_id, linked)
    token, response_url = meta.get("token"), meta.get("response_url")
    if token and response_url:
        # Linked from an accept card: bring the card back, now with its Accept button.
        await bot.slack_respond(
            str(response_url), await _card_again(bot, str(token), user_id), replace_original=True
        )


async def _card_again(bot: Bot, token: str, user_id: str) -> Message:
    try:
        return await accepting.card(bot, token, user_id)
    except GencoveError as exc:
        text = f"{gencove_failed(exc)}\nRun the `/gencove accept` command again in a moment."
    except Exception:
        log.exception("the accept card could not be shown again")
        text = SOMETHING_BROKE
    return ephemeral(text)


def _checking_view() -> dict[str, Any]:
    return _result_view(":hourglass_flowing_sand: Checking the key with Gencove…")


def _result_view(text: str) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=f"{LINK_MODAL}_result",
        title="Link Gencove account",
        close="Close",
        blocks=[SectionBlock(text=text)],
    ).to_dict()


async def _update_view(bot: Bot, view: dict[str, Any], new_view: dict[str, Any]) -> bool:
    """Show the outcome in the modal; False when Slack would not (closed, or failing)."""
    try:
        await bot.slack.views_update(view_id=view["id"], view=new_view)
    except SlackApiError as exc:
        log.warning("could not update the link modal: %s", exc.response.get("error"))
        return False
    return True


async def _tell(bot: Bot, channel_id: str, user_id: str, text: str) -> None:
    """A note after a modal (there is no response_url there)."""
    await bot.tell_privately(channel_id, user_id, ephemeral(text))


def _plain(text: str) -> str:
    return text.replace("`", "").replace("*", "")
