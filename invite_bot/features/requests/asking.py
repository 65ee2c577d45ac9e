"""Invite requests, the Slack side of asking: a member who may not invite asks instead.

`/gencove invite …` (or the Ask form) from a member stores a request and posts it to
`INVITE_APPROVAL_CHANNEL`, else as a DM to each inviter (at most five), else to the
notification channel, with Approve and Deny buttons; the member is told privately. The
decisions (the buttons, the Deny form, Withdraw, expiry) are in `deciding`.
`/gencove requests` lists the open ones.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackApiError

from invite_bot.bot import Bot
from invite_bot.domain.policy import Refused, check_rate
from invite_bot.domain.requests import (
    NOWHERE_TO_ASK,
    Destinations,
    check_ask,
    clean_reason,
    destinations,
    expires_at,
    may_ask_instead,
)
from invite_bot.features.invite.checks import read_addresses
from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    ROLE_BLOCK,
    ROLE_INPUT,
)
from invite_bot.features.requests import deciding
from invite_bot.features.requests.blocks import (
    APPROVE,
    ASK_MODAL,
    DENY,
    DENY_MODAL,
    WHY_BLOCK,
    WHY_INPUT,
    WITHDRAW,
    asked,
    request_message,
    requests_list,
)
from invite_bot.slack.blockkit import Message, note
from invite_bot.slack.errors import classify
from invite_bot.slack.guard import Reply, Turn, answer, then
from invite_bot.slack.outbound import Posted
from invite_bot.slack.router import Router
from invite_bot.store import InviteRequest, NewInviteRequest, Tx
from invite_bot.store.schema import utcnow

log = logging.getLogger(__name__)

Tell = Callable[[Message], Awaitable[object]]
MODAL_ERROR_LIMIT = 150


@dataclass(frozen=True)
class Ask:
    """What a member asked for, and where."""

    requester: str
    channel_id: str
    addresses: tuple[str, ...]
    role: str | None
    reason: str | None
    delivery_key: str | None


def register(router: Router, bot: Bot) -> None:
    def approve_clicked(turn: Turn) -> Reply:
        return then(lambda: deciding.approve(bot, turn))

    def deny_clicked(turn: Turn) -> Reply:
        return then(lambda: deciding.open_deny_form(bot, turn))

    def deny_submitted(turn: Turn) -> Reply:
        # The form closes at once; the outcome shows on the request message.
        return then(lambda: deciding.deny(bot, turn))

    def withdraw_clicked(turn: Turn) -> Reply:
        return then(lambda: deciding.withdraw(bot, turn))

    def ask_submitted(turn: Turn) -> Reply:
        return on_ask_submitted(bot, turn)

    router.action(APPROVE, approve_clicked, name="approve")
    router.action(DENY, deny_clicked, name="deny")
    router.action(WITHDRAW, withdraw_clicked, name="withdraw")
    router.view(DENY_MODAL, deny_submitted, name="deny_modal")
    router.view(ASK_MODAL, ask_submitted, name="ask_modal")


async def asks_instead(bot: Bot, user_id: str) -> Refused | None:
    """The refusal that makes this user's invite a request (they are not an inviter);
    None for an inviter, or when the permission lookup failed (that stays a refusal)."""
    decision = await bot.inviters.check(user_id)
    return decision if isinstance(decision, Refused) and may_ask_instead(decision) else None


async def ask(bot: Bot, wish: Ask, refusal: Refused, *, tell: Tell) -> None:
    """Store the request and post it for the inviters; `tell` the member how it went.

    The checks at request time, in order: at most 10 open requests per member, then the
    member's `INVITE_RATE_LIMIT` (the addresses count against it); the addresses and the
    allow-list were checked before (`read_addresses`). A redelivered command posts nothing.
    """
    targets = await _where_to_ask(bot, wish, refusal)
    if isinstance(targets, str):
        await tell(note(targets))
        return
    now = utcnow()
    request_id, created = await _store_request(bot, wish, now)
    if not created:
        log.info("invite request %s was already asked (a redelivery)", request_id)
        return
    request = await bot.store.read(lambda tx: tx.requests.get(request_id))
    assert request is not None
    posted = await _post_request(bot, request, targets, since=now)
    confirmation = asked(request, where=_where_posted(targets, posted=posted))
    await tell(confirmation)


async def _where_to_ask(bot: Bot, wish: Ask, refusal: Refused) -> Destinations | str:
    """Where the request goes, or why it may not be asked (the member's to read)."""
    user = wish.requester
    too_many = check_ask(await bot.store.read(lambda tx: tx.requests.count_open(user)))
    if too_many is not None:
        return too_many.message
    count = len(wish.addresses)
    allowance = bot.limiter.allow(user, count, time.monotonic())
    limited = check_rate(allowance, rate=bot.limiter.rate, requested=count)
    if limited is not None:
        return limited.message
    targets = destinations(
        approval_channel=bot.settings.invite_approval_channel,
        inviters=await inviter_ids(bot),
        notification_channels=await bot.notification_channels(),
    )
    if not targets.targets:
        return NOWHERE_TO_ASK.format(refusal=refusal.message)
    return targets


async def _store_request(bot: Bot, wish: Ask, now: datetime) -> tuple[int, bool]:
    """The request's id, and whether this call created it (False: a redelivery), audited."""
    new = NewInviteRequest(
        requester_slack_id=wish.requester,
        channel_id=wish.channel_id,
        addresses=wish.addresses,
        role=wish.role,
        reason=wish.reason,
        expires_at=expires_at(now, bot.settings.request_ttl),
        delivery_key=wish.delivery_key,
    )

    def store(tx: Tx) -> tuple[int, bool]:
        request_id, created = tx.requests.create(new)
        if created:
            tx.audit.add(
                actor_slack_id=wish.requester,
                action="request_asked",
                channel_id=wish.channel_id,
                detail={
                    "request": request_id,
                    "addresses": list(wish.addresses),
                    "role": wish.role,
                },
            )
        return request_id, created

    return await bot.store.write(store)


async def _post_request(
    bot: Bot, request: InviteRequest, targets: Destinations, *, since: datetime
) -> int:
    """Post the request message to each target; how many took it."""
    message = request_message(request)
    posted = 0
    for target in targets.targets:
        where = await bot.outbound.post(
            target, message, keys=[f"invite-request:{request.id}:{target}"], since=since
        )
        if isinstance(where, Posted):
            await _posted_at(bot, request.id, where)
            posted += 1
        else:
            log.error("invite request %s not posted to %s: %s", request.id, target, where.error)
    return posted


async def _posted_at(bot: Bot, request_id: int, where: Posted) -> None:
    await bot.store.write(lambda tx: tx.requests.add_message(request_id, where.channel, where.ts))


def _where_posted(targets: Destinations, *, posted: int) -> str:
    """Where the member is told the request went."""
    if not posted:
        return "Slack would not take the request message; inviters see it in `/gencove requests`"
    if targets.kind == "inviters":
        return f"a direct message to {len(targets.targets)} inviter" + (
            "s" if len(targets.targets) != 1 else ""
        )
    return f"in <#{targets.targets[0]}>"


async def inviter_ids(bot: Bot) -> list[str] | None:
    """The inviters by user ID, when the bot can list them (INVITE_ADMINS users, and the
    members of its user groups); None when workspace admins are the inviters."""
    admins = bot.settings.admins
    if not admins.configured:
        return None
    users = set(admins.users)
    for group in sorted(admins.groups):
        try:
            response = await bot.slack.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            log.warning("members of %s unknown: %s", group, classify(exc).error)
            return None
        users.update(str(u) for u in response.get("users") or [])
    return sorted(users)


async def show_requests(bot: Bot, turn: Turn) -> None:
    """`/gencove requests`: an inviter sees every open request with Approve and Deny, a
    member their own with Withdraw."""
    user = turn.request.user
    decision = await bot.inviters.check(user)
    as_inviter = not isinstance(decision, Refused)
    if isinstance(decision, Refused) and not may_ask_instead(decision):
        await turn.reply(decision.message)
        return
    await deciding.expire_due(bot)
    found = await bot.store.read(
        lambda tx: tx.requests.open_requests(
            requester=None if as_inviter else user, limit=deciding.LISTED + 1
        )
    )
    message = requests_list(found, as_inviter=as_inviter)
    await turn.reply(message)


def on_ask_submitted(bot: Bot, turn: Turn) -> Reply:
    """The Ask form: the same address checks as the invite form, on the field."""
    view = turn.payload
    values = (view.get("state") or {}).get("values") or {}
    text = str(values.get(ADDRESSES_BLOCK, {}).get(ADDRESSES_INPUT, {}).get("value") or "")
    selected = values.get(ROLE_BLOCK, {}).get(ROLE_INPUT, {}).get("selected_option") or {}
    why = values.get(WHY_BLOCK, {}).get(WHY_INPUT, {}).get("value")
    parsed, refusal = read_addresses(bot.settings, text)
    if refusal is not None:
        plain = refusal.message.replace("`", "").replace("*", "")
        return answer(response_action="errors", errors={ADDRESSES_BLOCK: plain[:MODAL_ERROR_LIMIT]})
    role = selected.get("value") or None
    reason = clean_reason(why if isinstance(why, str) else None)
    return then(lambda: _ask_from_form(bot, turn, tuple(parsed.addresses), role, reason))


async def _ask_from_form(
    bot: Bot, turn: Turn, addresses: tuple[str, ...], role: str | None, reason: str | None
) -> None:
    request = turn.request
    user = request.user
    channel = request.channel_id or user  # from the form's private_metadata

    refusal = await asks_instead(bot, user)
    if refusal is None:
        # An inviter now (or the lookup failed): the form asked, so nothing is invited.
        decision = await bot.inviters.check(user)
        text = (
            decision.message
            if isinstance(decision, Refused)
            else "You may invite now: use `/gencove invite` to invite directly."
        )
        await turn.tell(text)
        return
    wish = Ask(user, channel, addresses, role, reason, request.delivery_key)
    await ask(bot, wish, refusal, tell=turn.tell)


def ask_metadata(channel_id: str) -> str:
    return json.dumps({"channel_id": channel_id})
