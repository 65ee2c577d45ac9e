"""Modal submissions: the invite modal and the link-account modal."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from invite_bot.bot import Bot
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.accounts import accepting
from invite_bot.features.accounts.blocks import API_KEY_BLOCK, API_KEY_INPUT, LINK_MODAL, link_modal
from invite_bot.features.bulk import intake as bulk
from invite_bot.features.invite.checks import invite_if_allowed, read_addresses
from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    FILE_BLOCK,
    FILE_INPUT,
    INVITE_MODAL,
    ROLE_BLOCK,
    ROLE_INPUT,
)
from invite_bot.features.replies import SOMETHING_BROKE, gencove_failed
from invite_bot.gencove import GencoveError
from invite_bot.slack.blockkit import Message, note
from invite_bot.slack.guard import Reply, Turn, answer, then
from invite_bot.slack.router import Router
from invite_bot.store import NewInviteJob

log = logging.getLogger(__name__)

MODAL_ERROR_LIMIT = 150  # Slack cuts inline field errors; keep them readable


def register(router: Router, bot: Bot) -> None:
    def invite_submitted(turn: Turn) -> Reply:
        return on_invite_submitted(bot, turn)

    def link_submitted(turn: Turn) -> Reply:
        return on_link_submitted(bot, turn)

    router.view(INVITE_MODAL, invite_submitted, name="invite_modal")
    # A redelivered link submission checks and shows the key again: were it skipped, its
    # ack (the "checking…" view) would be the last thing the modal shows.
    router.view(LINK_MODAL, link_submitted, name="link_modal", once=False)


def _value(view: dict[str, Any], block_id: str, action_id: str) -> Any:
    return ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(action_id, {})


def on_invite_submitted(bot: Bot, turn: Turn) -> Reply:
    view = turn.payload
    text = str(_value(view, ADDRESSES_BLOCK, ADDRESSES_INPUT).get("value") or "")
    selected = _value(view, ROLE_BLOCK, ROLE_INPUT).get("selected_option") or {}
    role = selected.get("value") or None
    files = _value(view, FILE_BLOCK, FILE_INPUT).get("files") or []
    if not text.strip() and not files:
        return answer(
            response_action="errors",
            errors={ADDRESSES_BLOCK: "Type at least one address, or choose a CSV file."},
        )
    if bulk.wants_bulk(bot, text, files):
        # A long list or a file: checked row by row, then a bulk invite (features/bulk/).
        too_many = bulk.pasted_refusal(bot, text) if not files else None
        if too_many is not None:
            return answer(
                response_action="errors", errors={ADDRESSES_BLOCK: too_many[:MODAL_ERROR_LIMIT]}
            )
        return then(lambda: _bulk(bot, turn, text, files, role))
    parsed, refusal = read_addresses(bot.settings, text)
    if refusal is not None:
        # Shown on the field itself; the modal stays open with what was typed.
        return answer(
            response_action="errors",
            errors={ADDRESSES_BLOCK: _plain(refusal.message)[:MODAL_ERROR_LIMIT]},
        )
    return then(lambda: _invite(bot, turn, list(parsed.addresses), role))


async def _bulk(
    bot: Bot, turn: Turn, text: str, files: list[dict[str, Any]], role: str | None
) -> None:
    request = turn.request
    await bulk.from_modal(
        bot,
        user_id=request.user,
        channel_id=request.channel_id or request.user,
        text=text,
        files=files,
        role=role,
        delivery_key=request.delivery_key,
    )


async def _invite(bot: Bot, turn: Turn, addresses: list[str], role: str | None) -> None:
    request = turn.request
    user_id = request.user
    channel_id = request.channel_id or user_id  # from the modal's private_metadata
    job = NewInviteJob(
        slack_user_id=user_id,
        channel_id=channel_id,
        response_url=None,
        role=role,
        addresses=addresses,
        delivery_key=request.delivery_key,
    )
    await invite_if_allowed(bot, job, tell=lambda text: _tell(bot, channel_id, user_id, text))


def on_link_submitted(bot: Bot, turn: Turn) -> Reply:
    view = turn.payload
    key = str(_value(view, API_KEY_BLOCK, API_KEY_INPUT).get("value") or "")
    problem = accepting.key_problem(bot, key) if bot.vault is not None else None
    if problem is not None:
        # Answerable without Gencove: shown on the field, the modal stays as it is.
        return answer(response_action="errors", errors={API_KEY_BLOCK: problem[:MODAL_ERROR_LIMIT]})
    # Checking the key takes a Gencove call: acknowledge with a "checking" view first.
    return Reply(
        ack={"response_action": "update", "view": _checking_view()},
        then=lambda: _link(bot, turn, key),
    )


async def _link(bot: Bot, turn: Turn, key: str) -> None:
    view, request = turn.payload, turn.request
    # What the form carries again: the metadata fields that passed their check, not the raw.
    metadata = json.dumps(dict(request.metadata))
    user_id = request.user
    if bot.vault is None:
        await _update_view(bot, view, _result_view("Linking is not set up on this bot."))
        return
    try:
        error = await accepting.link(bot, user_id, key, request.metadata.get("channel_id"))
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
    token, response_url = request.metadata.get("token"), request.metadata.get("response_url")
    if token and response_url:
        # Linked from an accept card: bring the card back, now with its Accept button
        # (as a note of its own when the card cannot be replaced).
        card = await _card_again(bot, str(token), user_id)
        if await bot.outbound.respond(str(response_url), card, replace=True) is not None:
            await bot.outbound.tell(user_id, card, channel=request.channel_id or user_id)


async def _card_again(bot: Bot, token: str, user_id: str) -> Message:
    try:
        return await accepting.card(bot, token, user_id)
    except GencoveError as exc:
        text = f"{gencove_failed(exc)}\nRun the `/gencove accept` command again in a moment."
    except Exception:
        log.exception("the accept card could not be shown again")
        text = SOMETHING_BROKE
    return note(text)


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
    failure = await bot.outbound.update_view(str(view.get("id")), new_view)
    if failure is not None:
        log.warning("could not update the link modal: %s", failure.error)
        return False
    return True


async def _tell(bot: Bot, channel_id: str, user_id: str, text: str) -> None:
    """A note after a modal (there is no response_url there)."""
    await bot.outbound.tell(user_id, note(text), channel=channel_id)


def _plain(text: str) -> str:
    return text.replace("`", "").replace("*", "")
