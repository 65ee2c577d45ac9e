"""What a person does with their own Gencove account from Slack: `/gencove accept`,
`link`, `unlink`, `whoami`, the accept card's Accept and Link-account buttons, and the
link form."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from typing import Any

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from invite_bot.domain.command.types import Accept, Link, Unlink, WhoAmI
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.accounts.accepting import Accepting
from invite_bot.features.accounts.blocks import (
    ACCEPT,
    API_KEY_BLOCK,
    API_KEY_INPUT,
    LINK,
    LINK_FROM_CARD,
    LINK_MODAL,
    LINKING_OFF,
    UNLINK,
    link_modal,
)
from invite_bot.features.accounts.linking import Linking
from invite_bot.gencove import GencoveError
from invite_bot.slack.blockkit import Message, note
from invite_bot.slack.guard import (
    SOMETHING_BROKE,
    Reply,
    Turn,
    answer,
    gencove_failed,
    later,
    then,
)
from invite_bot.slack.inbound import view_value
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.router import Router

log = logging.getLogger(__name__)

MODAL_ERROR_LIMIT = 150  # Slack cuts inline field errors; keep them readable
CHECK_BUDGET = 2.0  # seconds a key check may take and still answer on the field (3 s ack)
LINKED = ":white_check_mark: Your Gencove account is linked. You can close this."


def register(router: Router, accepting: Accepting, linking: Linking, outbound: Outbound) -> None:
    accounts = _Accounts(accepting, linking, outbound)
    router.subcommand(Accept, accounts.accept_typed, name="accept")
    router.subcommand(Link, lambda _, turn: later(accounts.open_link_form)(turn), name="link")
    router.subcommand(Unlink, lambda _, turn: later(accounts.unlink)(turn), name="unlink")
    router.subcommand(WhoAmI, lambda _, turn: later(accounts.whoami)(turn), name="whoami")
    router.action(ACCEPT, later(accounts.accept), name="accept")
    # Link and Unlink on the Home tab: the same steps as `/gencove link` and `unlink`.
    router.action(LINK, later(accounts.open_link_form), name="link")
    router.action(UNLINK, later(accounts.unlink), name="unlink")
    # Its retry opens nothing: the trigger_id is spent, the modal already open.
    router.action(LINK_FROM_CARD, later(accounts.link_from_card), name="link_account")
    # A redelivered link submission checks and shows the key again: were it skipped, its
    # ack (the "checking…" view) would be the last thing the modal shows.
    router.view(LINK_MODAL, accounts.link_submitted, name="link_modal", once=False)


class _Accounts:
    def __init__(self, accepting: Accepting, linking: Linking, outbound: Outbound) -> None:
        self.accepting, self.linking, self.outbound = accepting, linking, outbound

    def accept_typed(self, command: Accept, turn: Turn) -> Reply:
        return then(lambda: self._card(turn, command.token))

    async def _card(self, turn: Turn, token: str) -> None:
        await turn.reply(await self.accepting.card(token, turn.request.user))

    async def accept(self, turn: Turn) -> None:
        request = turn.request
        token = str(turn.payload.get("value") or "")
        message = await self.accepting.accept(token, request.user, request.channel_id)
        await turn.reply(message, replace=True)

    async def open_link_form(self, turn: Turn) -> None:
        if self.linking.vault is None:
            await turn.reply(LINKING_OFF)
            return
        await turn.open_form(link_modal(metadata=json.dumps({"channel_id": turn.request.channel})))

    async def link_from_card(self, turn: Turn) -> None:
        request = turn.request
        if self.linking.vault is None:
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

    async def unlink(self, turn: Turn) -> None:
        removed = await self.linking.unlink(turn.request.user, turn.request.channel)
        await turn.reply(
            "Your Gencove account is unlinked; the bot no longer holds your key."
            if removed
            else "You had no Gencove account linked."
        )

    async def whoami(self, turn: Turn) -> None:
        await turn.reply(await self.linking.whoami(turn.request.user))

    def link_submitted(self, turn: Turn) -> Reply:
        key = str(view_value(turn.payload, API_KEY_BLOCK, API_KEY_INPUT).get("value") or "")
        problem = self.linking.key_problem(key) if self.linking.vault is not None else None
        if problem is not None:
            # Answerable without Gencove: shown on the field, the modal stays as it is.
            return answer(
                response_action="errors", errors={API_KEY_BLOCK: problem[:MODAL_ERROR_LIMIT]}
            )
        if self.linking.vault is None:
            return answer(response_action="update", view=_result_view(LINKING_OFF))
        return Reply(first=lambda: self._link_first(turn, key))

    async def _link_first(self, turn: Turn, key: str) -> Reply:
        """Checking the key takes a Gencove call. Answered within CHECK_BUDGET seconds, a
        refusal is Slack's red error on the key field (the form stays as typed), a success
        the "linked" view; slower, the modal says it is checking and shows the outcome."""
        checking = asyncio.ensure_future(self._check_and_link(turn, key))
        done, _ = await asyncio.wait({checking}, timeout=CHECK_BUDGET)
        if not done:
            return Reply(
                ack={"response_action": "update", "view": _checking_view()},
                then=lambda: self._linked(turn, checking),
            )
        error = checking.result()
        if error is not None:
            return answer(
                response_action="errors", errors={API_KEY_BLOCK: error[:MODAL_ERROR_LIMIT]}
            )
        return Reply(
            ack={"response_action": "update", "view": _result_view(LINKED)},
            then=lambda: self._after_link(turn),
        )

    async def _check_and_link(self, turn: Turn, key: str) -> str | None:
        request = turn.request
        try:
            return await self.linking.link(request.user, key, request.metadata.get("channel_id"))
        except Exception:
            log.exception("linking failed")
            return "Something went wrong on the bot's side. Try again."

    async def _linked(self, turn: Turn, checked: Awaitable[str | None]) -> None:
        """The outcome of a check that outlasted the ack, shown in the modal."""
        view, request = turn.payload, turn.request
        user_id = request.user
        error = await checked
        if error is not None:
            # What the form carries again: the metadata fields that passed their check.
            form = link_modal(metadata=json.dumps(dict(request.metadata))).to_dict()
            warning = SectionBlock(text=f":warning: {escape_mrkdwn(error)}")
            form["blocks"].insert(1, warning.to_dict())
            if not await self._update_view(view, form):
                await self._tell(user_id, f":warning: Not linked: {escape_mrkdwn(error)}")
            return
        if not await self._update_view(view, _result_view(LINKED)):
            await self._tell(user_id, LINKED)
        await self._after_link(turn)

    async def _after_link(self, turn: Turn) -> None:
        request, user_id = turn.request, turn.request.user
        token, response_url = request.metadata.get("token"), request.metadata.get("response_url")
        if token and response_url:
            # Linked from an accept card: bring the card back, now with its Accept button
            # (as a note of its own when the card cannot be replaced).
            card = await self._card_again(str(token), user_id)
            if await self.outbound.respond(str(response_url), card, replace=True) is not None:
                await self.outbound.tell(user_id, card, channel=request.channel_id or user_id)

    async def _card_again(self, token: str, user_id: str) -> Message:
        try:
            return await self.accepting.card(token, user_id)
        except GencoveError as exc:
            text = f"{gencove_failed(exc)}\nRun the `/gencove accept` command again in a moment."
        except Exception:
            log.exception("the accept card could not be shown again")
            text = SOMETHING_BROKE
        return note(text)

    async def _update_view(self, view: dict[str, Any], new_view: dict[str, Any]) -> bool:
        """Show the outcome in the modal; False when Slack would not (closed, or failing)."""
        failure = await self.outbound.views.update(str(view.get("id")), new_view)
        if failure is not None:
            log.warning("could not update the link modal: %s", failure.error)
            return False
        return True

    async def _tell(self, user_id: str, text: str) -> None:
        """A note after the form (which has no response_url): in a DM."""
        await self.outbound.tell(user_id, note(text), channel=user_id)


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
