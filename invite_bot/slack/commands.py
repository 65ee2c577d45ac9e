"""The `/gencove` slash command: parse, ack, then act.

Parsing and address validation are pure, so their answers go straight into the ack. Every
other outcome arrives after the acknowledgement, as a message: `decide` cannot await, so
nothing touches Gencove, the database or Slack's Web API before Slack has its answer
(guard.py runs the rest once per request, and makes a failure a message too).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond

from invite_bot.domain.grammar import (
    Accept,
    Command,
    Help,
    Invite,
    InviteModal,
    Link,
    ListInvitations,
    Notify,
    Reinvite,
    Requests,
    Revoke,
    Unlink,
    Usage,
    WhoAmI,
    help_text,
    parse_command,
    usage_message,
)
from invite_bot.domain.text import escape_mrkdwn, human_list
from invite_bot.gencove import GencoveError
from invite_bot.slack import accepting, listing, reinvite_turns, requests
from invite_bot.slack.context import Bot
from invite_bot.slack.errors import SLACK_FAILURES, classify
from invite_bot.slack.guard import Guard, Reply, Turn, answer, require_inviter, then
from invite_bot.slack.inviting import invite_if_allowed, read_addresses
from invite_bot.slack.modals import bulk_invite_modal, link_modal
from invite_bot.slack.personal import notify_me
from invite_bot.slack.replies import (
    LINKING_OFF,
    ROLES_UNAVAILABLE,
    UNKNOWN_ROLE,
)
from invite_bot.slack.request_blocks import ask_modal
from invite_bot.slack.revoke_command import revoke_typed
from invite_bot.store import NewInviteJob, Tx

log = logging.getLogger(__name__)


def register(app: AsyncApp, bot: Bot, guard: Guard) -> None:
    def gencove_command(turn: Turn) -> Reply:
        return on_command(bot, turn)

    app.command("/gencove")(guard.listener(gencove_command))


def on_command(bot: Bot, turn: Turn) -> Reply:
    """The ack for `/gencove …`, and the work after it (none when the ack says it all)."""
    parsed = parse_command(str(turn.payload.get("text") or ""))
    if isinstance(parsed, Help):
        return answer(response_type="ephemeral", text=help_text(parsed.unknown_word))
    if isinstance(parsed, Usage):
        return answer(response_type="ephemeral", text=usage_message(parsed))
    if isinstance(parsed, Invite):
        addresses, refusal = read_addresses(bot.settings, parsed.addresses_text)
        if refusal is not None:
            return answer(response_type="ephemeral", text=refusal.message)
        return then(lambda: _invite(bot, turn, list(addresses.addresses), parsed.role))
    if isinstance(parsed, InviteModal):
        return then(lambda: _open_invite_modal(bot, turn, parsed.role))
    return then(lambda: _dispatch(bot, parsed, turn))


async def _invite(bot: Bot, turn: Turn, addresses: list[str], role: str | None) -> None:
    request, respond = turn.request, turn.respond
    refusal = await requests.asks_instead(bot, request.user)
    if refusal is not None:
        # A member who may not invite asks the inviters instead (invite_bot.slack.requests).
        wish = requests.Ask(
            request.user, request.channel, tuple(addresses), role, None, request.delivery_key
        )

        async def tell(text: str, extra: dict[str, Any] | None) -> None:
            await respond(response_type="ephemeral", text=text, **(extra or {}))

        await requests.ask(bot, wish, refusal, tell=tell)
        return
    job = NewInviteJob(
        slack_user_id=request.user,
        channel_id=request.channel,
        response_url=request.response_url,
        role=role,
        addresses=addresses,
        delivery_key=request.delivery_key,
    )
    await invite_if_allowed(
        bot, job, tell=lambda text: respond(response_type="ephemeral", text=text)
    )


async def _open_invite_modal(bot: Bot, turn: Turn, role: str | None) -> None:
    request, respond = turn.request, turn.respond
    # A member who may not invite gets the same form as a request, with a "Why?" field.
    form = bulk_invite_modal  # an inviter's has the CSV field: a bulk invite
    if await requests.asks_instead(bot, request.user) is not None:
        form = ask_modal
    elif not await require_inviter(bot, request.user, respond):
        return
    metadata = json.dumps({"channel_id": request.channel})
    roles = bot.cached_roles()
    # trigger_id lives 3 s: open now, fill the role list in once Gencove answers.
    opened = await bot.slack.views_open(
        trigger_id=request.trigger,
        view=form(roles or [], default_role=role, metadata=metadata),
    )
    if roles is None:
        try:
            roles = await bot.role_names()
        except GencoveError as exc:
            log.warning("roles unavailable for the invite modal: %s", exc.message)
            if role:
                await respond(
                    response_type="ephemeral",
                    text=ROLES_UNAVAILABLE.format(
                        role=escape_mrkdwn(role), reason=escape_mrkdwn(exc.message)
                    ),
                )
            return
        view = opened["view"]
        try:
            await bot.slack.views_update(
                view_id=view["id"],
                hash=view.get("hash"),
                view=form(roles, default_role=role, metadata=metadata),
            )
        except SLACK_FAILURES as exc:
            # hash_conflict: the user already typed or submitted; the role stays the default.
            log.info("invite modal not refreshed: %s", classify(exc).error)
    if role and role not in roles:
        await respond(
            response_type="ephemeral",
            text=UNKNOWN_ROLE.format(role=escape_mrkdwn(role), roles=human_list(roles)),
        )


async def _dispatch(bot: Bot, parsed: Command, turn: Turn) -> None:
    request, respond = turn.request, turn.respond
    user_id, channel_id = request.user, request.channel
    if isinstance(parsed, ListInvitations):
        if await require_inviter(bot, user_id, respond):
            message = await listing.page(bot, parsed.status, 0)
            await respond(response_type="ephemeral", text=message.text, blocks=message.blocks)
    elif isinstance(parsed, Revoke):
        if await require_inviter(bot, user_id, respond):
            await _revoke_targets(bot, parsed, user_id, channel_id, respond)
    elif isinstance(parsed, Notify) and parsed.action in ("me", "me_off"):
        # Anyone's own choice: a DM when their invitations are accepted, expire or are revoked.
        await respond(
            response_type="ephemeral", text=await notify_me(bot, user_id, parsed.action == "me")
        )
    elif isinstance(parsed, Notify):
        if await require_inviter(bot, user_id, respond):
            await _notify(bot, parsed, user_id, channel_id, respond)
    elif isinstance(parsed, Reinvite):
        await reinvite_turns.typed(bot, parsed.email, turn)
    elif isinstance(parsed, Accept):
        message = await accepting.card(bot, parsed.token, user_id)
        await respond(response_type="ephemeral", text=message.text, blocks=message.blocks)
    elif isinstance(parsed, Link):
        if bot.vault is None:
            await respond(response_type="ephemeral", text=LINKING_OFF)
            return
        await bot.slack.views_open(
            trigger_id=request.trigger,
            view=link_modal(metadata=json.dumps({"channel_id": channel_id})),
        )
    elif isinstance(parsed, Unlink):
        removed = await bot.store.write(lambda tx: _unlink(tx, user_id, channel_id))
        text = (
            "Your Gencove account is unlinked; the bot no longer holds your key."
            if removed
            else "You had no Gencove account linked."
        )
        await respond(response_type="ephemeral", text=text)
    elif isinstance(parsed, Requests):
        await requests.show_requests(bot, turn)
    elif isinstance(parsed, WhoAmI):
        await respond(response_type="ephemeral", text=await accepting.whoami(bot, user_id))
    else:  # pragma: no cover - the grammar has no other commands
        raise AssertionError(f"unhandled command {parsed!r}")


async def _revoke_targets(
    bot: Bot, parsed: Revoke, user_id: str, channel_id: str, respond: AsyncRespond
) -> None:
    """One line per target; Gencove failing for one target does not hide the others."""
    reply = await revoke_typed(bot, parsed.targets, user_id=user_id, channel_id=channel_id)
    await respond(response_type="ephemeral", text=reply.text, blocks=reply.blocks)


def _unlink(tx: Tx, user_id: str, channel_id: str) -> bool:
    """Forget the user's key (audited if there was one); False when there was none."""
    removed = tx.links.delete(user_id)
    if removed:
        tx.audit.add(actor_slack_id=user_id, action="unlink", channel_id=channel_id)
    return removed


def _subscribe(tx: Tx, user_id: str, channel_id: str) -> bool:
    """Subscribe the channel (audited); False when it was already."""
    added = tx.subscriptions.add(channel_id, user_id)
    tx.audit.add(actor_slack_id=user_id, action="notify_on", channel_id=channel_id)
    return added


def _unsubscribe(tx: Tx, user_id: str, channel_id: str) -> bool:
    """Unsubscribe the channel (audited if it was); False when it was not subscribed."""
    removed = tx.subscriptions.remove(channel_id)
    if removed:
        tx.audit.add(actor_slack_id=user_id, action="notify_off", channel_id=channel_id)
    return removed


async def _notify(
    bot: Bot, parsed: Notify, user_id: str, channel_id: str, respond: AsyncRespond
) -> None:
    if parsed.action == "here":
        added = await bot.store.write(lambda tx: _subscribe(tx, user_id, channel_id))
        text = (
            "This channel will get a message when an invitation is accepted, expires or is "
            "revoked, or one is made outside Slack."
            if added
            else "This channel already gets invitation notifications."
        )
    elif parsed.action == "off":
        removed = await bot.store.write(lambda tx: _unsubscribe(tx, user_id, channel_id))
        text = (
            "This channel will no longer get invitation notifications."
            if removed
            else "This channel was not getting invitation notifications."
        )
    else:
        subscribed = await bot.store.read(lambda tx: tx.subscriptions.all())
        channels = [s.channel_id for s in subscribed]
        always = bot.settings.invite_notify_channel
        if not channels and not always:
            text = "No channel gets invitation notifications. Use `/gencove notify here`."
        else:
            named = [f"<#{c}>" for c in channels]
            text = "Invitation notifications go to " + (", ".join(named) or "no subscribed channel")
            if always:
                text += f", and always to <#{always}> (`INVITE_NOTIFY_CHANNEL`)"
            text += "."
    await respond(response_type="ephemeral", text=text)
