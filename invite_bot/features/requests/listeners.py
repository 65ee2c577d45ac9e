"""Invite requests as people meet them: the Ask form, `/gencove requests`, and the
Approve, Deny (with its form) and Withdraw buttons."""

from __future__ import annotations

from invite_bot.domain.command.types import Requests
from invite_bot.domain.policy import Refused
from invite_bot.domain.requests import Ask, clean_reason, may_ask_instead
from invite_bot.features.invite.checks import Inviting
from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    ROLE_BLOCK,
    ROLE_INPUT,
)
from invite_bot.features.requests.asking import Asking
from invite_bot.features.requests.blocks import (
    APPROVE,
    ASK_MODAL,
    DENY,
    DENY_MODAL,
    LISTED,
    WHY_BLOCK,
    WHY_INPUT,
    WITHDRAW,
    requests_list,
)
from invite_bot.features.requests.deciding import Deciding
from invite_bot.slack.guard import Reply, Turn, answer, later, then
from invite_bot.slack.inbound import view_value
from invite_bot.slack.router import Router

MODAL_ERROR_LIMIT = 150  # Slack cuts inline field errors; keep them readable


def register(router: Router, asking: Asking, deciding: Deciding, inviting: Inviting) -> None:
    turns = _Turns(asking, deciding, inviting)
    router.subcommand(Requests, lambda _, turn: later(turns.show)(turn), name="requests")
    router.action(APPROVE, later(deciding.approve), name="approve")
    router.action(DENY, later(deciding.open_deny_form), name="deny")
    router.action(WITHDRAW, later(deciding.withdraw), name="withdraw")
    # The form closes at once; the outcome shows on the request message.
    router.view(DENY_MODAL, later(deciding.deny), name="deny_modal")
    router.view(ASK_MODAL, turns.ask_submitted, name="ask_modal")


class _Turns:
    def __init__(self, asking: Asking, deciding: Deciding, inviting: Inviting) -> None:
        self.asking, self.deciding, self.inviting = asking, deciding, inviting

    async def show(self, turn: Turn) -> None:
        """`/gencove requests`: an inviter sees every open request with Approve and Deny,
        a member their own with Withdraw."""
        user = turn.request.user
        decision = await self.inviting.inviters.check(user)
        as_inviter = not isinstance(decision, Refused)
        if isinstance(decision, Refused) and not may_ask_instead(decision):
            await turn.reply(decision.message)
            return
        await self.deciding.expire_due()
        requester = None if as_inviter else user
        found = await self.deciding.store.read(
            lambda tx: tx.requests.open_requests(requester=requester, limit=LISTED + 1)
        )
        await turn.reply(requests_list(found, as_inviter=as_inviter))

    def ask_submitted(self, turn: Turn) -> Reply:
        """The Ask form: the same address checks as the invite form, on the field."""
        view = turn.payload
        text = str(view_value(view, ADDRESSES_BLOCK, ADDRESSES_INPUT).get("value") or "")
        selected = view_value(view, ROLE_BLOCK, ROLE_INPUT).get("selected_option") or {}
        why = view_value(view, WHY_BLOCK, WHY_INPUT).get("value")
        parsed, refusal = self.inviting.read_addresses(text)
        if refusal is not None:
            plain = refusal.message.replace("`", "").replace("*", "")
            return answer(
                response_action="errors", errors={ADDRESSES_BLOCK: plain[:MODAL_ERROR_LIMIT]}
            )
        role = selected.get("value") or None
        reason = clean_reason(why if isinstance(why, str) else None)
        return then(lambda: self._ask(turn, tuple(parsed.addresses), role, reason))

    async def _ask(
        self, turn: Turn, addresses: tuple[str, ...], role: str | None, reason: str | None
    ) -> None:
        request = turn.request
        user = request.user
        channel = request.channel_id or user  # from the form's private_metadata
        if await self.asking.asks_instead(user) is None:
            # An inviter now (or the lookup failed): the form asked, so nothing is invited.
            decision = await self.inviting.inviters.check(user)
            await turn.tell(
                decision.message
                if isinstance(decision, Refused)
                else "You may invite now: use `/gencove invite` to invite directly."
            )
            return
        wish = Ask(user, channel, addresses, role, reason, request.delivery_key)
        await self.asking.ask(wish, tell=turn.tell)
