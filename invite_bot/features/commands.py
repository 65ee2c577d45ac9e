"""The `/gencove` slash command: parse, ack, then act.

Parsing and address validation are pure, so their answers go straight into the ack. Every
other outcome arrives after the acknowledgement, as a message: `decide` cannot await, so
nothing touches Gencove, the database or Slack's Web API before Slack has its answer
(guard.py runs the rest once per request, and makes a failure a message too).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from invite_bot.bot import Bot
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
    usage_message,
)
from invite_bot.domain.text import escape_mrkdwn, human_list
from invite_bot.features.accounts import accepting
from invite_bot.features.accounts.blocks import LINKING_OFF, link_modal
from invite_bot.features.invite.checks import invite_if_allowed, read_addresses
from invite_bot.features.invite.modals import ROLES_UNAVAILABLE, UNKNOWN_ROLE, bulk_invite_modal
from invite_bot.features.listing import pages as listing
from invite_bot.features.notify.personal import notify_me
from invite_bot.features.reinvite import listeners as reinvite_turns
from invite_bot.features.requests import asking as requests
from invite_bot.features.requests.blocks import ask_modal
from invite_bot.features.revoke.typed import revoke_typed
from invite_bot.gencove import GencoveError
from invite_bot.slack.guard import Reply, Turn, answer, then
from invite_bot.slack.people import require_inviter
from invite_bot.slack.router import Router
from invite_bot.store import NewInviteJob, Tx

log = logging.getLogger(__name__)


def register(router: Router, bot: Bot) -> None:
    def work(command: Command, turn: Turn) -> Reply:
        return on_command(bot, command, turn)

    def usage(command: Usage, turn: Turn) -> Reply:
        # A subcommand used wrongly is counted as that subcommand.
        return replace(work(command, turn), name=command.subcommand)

    router.subcommand(Help, work, name="help")
    router.subcommand(Usage, usage, name="help")
    for kind, name in SUBCOMMANDS:
        router.subcommand(kind, work, name=name)


SUBCOMMANDS: tuple[tuple[type[Any], str], ...] = (
    (Invite, "invite"),
    (InviteModal, "invite"),
    (ListInvitations, "list"),
    (Revoke, "revoke"),
    (Reinvite, "reinvite"),
    (Accept, "accept"),
    (Link, "link"),
    (Unlink, "unlink"),
    (WhoAmI, "whoami"),
    (Notify, "notify"),
    (Requests, "requests"),
)


def on_command(bot: Bot, parsed: Command, turn: Turn) -> Reply:
    """The ack for `/gencove …`, and the work after it (none when the ack says it all)."""
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
    request = turn.request
    refusal = await requests.asks_instead(bot, request.user)
    if refusal is not None:
        # A member who may not invite asks the inviters instead (invite_bot.features.requests).
        wish = requests.Ask(
            request.user, request.channel, tuple(addresses), role, None, request.delivery_key
        )
        await requests.ask(bot, wish, refusal, tell=turn.reply)
        return
    job = NewInviteJob(
        slack_user_id=request.user,
        channel_id=request.channel,
        response_url=request.response_url,
        role=role,
        addresses=addresses,
        delivery_key=request.delivery_key,
    )
    await invite_if_allowed(bot, job, tell=turn.reply)


async def _open_invite_modal(bot: Bot, turn: Turn, role: str | None) -> None:
    request = turn.request
    # A member who may not invite gets the same form as a request, with a "Why?" field.
    form = bulk_invite_modal  # an inviter's has the CSV field: a bulk invite
    if await requests.asks_instead(bot, request.user) is not None:
        form = ask_modal
    elif not await require_inviter(bot.inviters, turn):
        return
    metadata = json.dumps({"channel_id": request.channel})
    roles = bot.cached_roles()
    # trigger_id lives 3 s: open now, fill the role list in once Gencove answers.
    opened = await turn.open_form(form(roles or [], default_role=role, metadata=metadata))
    if opened is None:
        return
    if roles is None:
        try:
            roles = await bot.role_names()
        except GencoveError as exc:
            log.warning("roles unavailable for the invite modal: %s", exc.message)
            if role:
                await turn.reply(
                    ROLES_UNAVAILABLE.format(
                        role=escape_mrkdwn(role), reason=escape_mrkdwn(exc.message)
                    )
                )
            return
        failure = await bot.outbound.update_view(
            str(opened.get("id")),
            form(roles, default_role=role, metadata=metadata),
            hash=opened.get("hash"),
        )
        if failure is not None:
            # hash_conflict: the user already typed or submitted; the role stays the default.
            log.info("invite modal not refreshed: %s", failure.error)
    if role and role not in roles:
        await turn.reply(UNKNOWN_ROLE.format(role=escape_mrkdwn(role), roles=human_list(roles)))


async def _dispatch(bot: Bot, parsed: Command, turn: Turn) -> None:
    request = turn.request
    user_id, channel_id = request.user, request.channel
    if isinstance(parsed, ListInvitations):
        if await require_inviter(bot.inviters, turn):
            message = await listing.page(bot, parsed.status, 0)
            await turn.reply(message)
    elif isinstance(parsed, Revoke):
        if await require_inviter(bot.inviters, turn):
            await _revoke_targets(bot, parsed, turn)
    elif isinstance(parsed, Notify) and parsed.action in ("me", "me_off"):
        # Anyone's own choice: a DM when their invitations are accepted, expire or are revoked.
        await turn.reply(await notify_me(bot, user_id, parsed.action == "me"))
    elif isinstance(parsed, Notify):
        if await require_inviter(bot.inviters, turn):
            await _notify(bot, parsed, turn)
    elif isinstance(parsed, Reinvite):
        await reinvite_turns.typed(bot, parsed.email, turn)
    elif isinstance(parsed, Accept):
        message = await accepting.card(bot, parsed.token, user_id)
        await turn.reply(message)
    elif isinstance(parsed, Link):
        if bot.vault is None:
            await turn.reply(LINKING_OFF)
            return
        await turn.open_form(link_modal(metadata=json.dumps({"channel_id": channel_id})))
    elif isinstance(parsed, Unlink):
        removed = await bot.store.write(lambda tx: _unlink(tx, user_id, channel_id))
        text = (
            "Your Gencove account is unlinked; the bot no longer holds your key."
            if removed
            else "You had no Gencove account linked."
        )
        await turn.reply(text)
    elif isinstance(parsed, Requests):
        await requests.show_requests(bot, turn)
    elif isinstance(parsed, WhoAmI):
        await turn.reply(await accepting.whoami(bot, user_id))
    else:  # pragma: no cover - the grammar has no other commands
        raise AssertionError(f"unhandled command {parsed!r}")


async def _revoke_targets(bot: Bot, parsed: Revoke, turn: Turn) -> None:
    """One line per target; Gencove failing for one target does not hide the others."""
    request = turn.request
    reply = await revoke_typed(
        bot, parsed.targets, user_id=request.user, channel_id=request.channel
    )
    await turn.reply(reply)


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


async def _notify(bot: Bot, parsed: Notify, turn: Turn) -> None:
    user_id, channel_id = turn.request.user, turn.request.channel
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
    await turn.reply(text)
