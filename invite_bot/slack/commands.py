"""The `/gencove` slash command: parse, ack, then act.

Parsing and address validation are pure, so their answers go straight into `ack()`. Every
other outcome arrives after the acknowledgement, as a message: nothing touches Gencove, the
database or Slack's Web API before `ack()`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from invite_bot.core.grammar import (
    Accept,
    Help,
    Invite,
    InviteModal,
    Link,
    ListInvitations,
    Notify,
    Revoke,
    RevokeByEmail,
    Unlink,
    Usage,
    WhoAmI,
    help_text,
    parse_command,
    usage_message,
)
from invite_bot.core.policy import Refused
from invite_bot.core.text import escape_mrkdwn, human_list, truncate
from invite_bot.gencove import GencoveError
from invite_bot.slack import accepting, listing
from invite_bot.slack.blocks import invite_modal, link_modal
from invite_bot.slack.context import Bot, delivery_key
from invite_bot.slack.inviting import invite_if_allowed, read_addresses
from invite_bot.slack.revoking import RevokeOutcome, revoke
from invite_bot.store import NewInviteJob

log = logging.getLogger(__name__)

SOMETHING_BROKE = (
    "Something went wrong on the bot's side and your request was not finished. "
    "Try again; if it keeps failing, ask whoever runs the bot to look at its logs."
)
UNKNOWN_ROLE = (
    "`{role}` is not one of the organization's roles ({roles}), so the form starts with "
    "the default role: pick one there."
)
ROLES_UNAVAILABLE = (
    "The form could not list the organization's roles ({reason}), so `{role}` is not "
    "preselected: invitations from it get the default role."
)
LINKING_OFF = (
    "Linking accounts is not set up on this bot: its operator must set `INVITE_BOT_SECRET_KEY`."
)


def register(app: AsyncApp, bot: Bot) -> None:
    @app.command("/gencove")
    async def gencove_command(
        ack: AsyncAck, command: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await on_command(bot, ack, command, body, respond)


async def on_command(
    bot: Bot, ack: AsyncAck, command: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
) -> None:
    parsed = parse_command(str(command.get("text") or ""))
    if isinstance(parsed, Help):
        await ack(response_type="ephemeral", text=help_text(parsed.unknown_word))
        return
    if isinstance(parsed, Usage):
        await ack(response_type="ephemeral", text=usage_message(parsed))
        return
    if isinstance(parsed, Invite):
        addresses, refusal = read_addresses(bot.settings, parsed.addresses_text)
        if refusal is not None:
            await ack(response_type="ephemeral", text=refusal.message)
            return
        await ack()
        work: Callable[[], Awaitable[None]] = lambda: _invite(  # noqa: E731
            bot, command, body, respond, list(addresses.addresses), parsed.role
        )
    elif isinstance(parsed, InviteModal):
        await ack()
        work = lambda: _open_invite_modal(bot, command, respond, parsed.role)  # noqa: E731
    else:
        await ack()
        work = lambda: _dispatch(bot, parsed, command, respond)  # noqa: E731
    await guarded_once(bot, body, respond, work)


async def guarded(respond: AsyncRespond, work: Callable[[], Awaitable[None]]) -> None:
    """Run post-ack work so that a failure still ends in a message to the user."""
    try:
        await work()
    except GencoveError as exc:
        await respond(response_type="ephemeral", text=gencove_failed(exc))
    except Exception:
        log.exception("unexpected failure after ack")
        await respond(response_type="ephemeral", text=SOMETHING_BROKE)


async def guarded_once(
    bot: Bot, body: dict[str, Any], respond: AsyncRespond, work: Callable[[], Awaitable[None]]
) -> None:
    """`guarded`, and only for the first delivery of this exact request (Slack retries)."""

    async def once() -> None:
        if await bot.first_delivery(body):
            await work()
        else:
            log.info("ignoring a redelivered request")

    await guarded(respond, once)


def gencove_failed(exc: GencoveError) -> str:
    return f":warning: Gencove said: {escape_mrkdwn(exc.message)}"


async def require_inviter(bot: Bot, user_id: str, respond: AsyncRespond) -> bool:
    decision = await bot.inviters.check(user_id)
    if isinstance(decision, Refused):
        await respond(response_type="ephemeral", text=decision.message)
        return False
    return True


async def _invite(
    bot: Bot,
    command: dict[str, Any],
    body: dict[str, Any],
    respond: AsyncRespond,
    addresses: list[str],
    role: str | None,
) -> None:
    job = NewInviteJob(
        slack_user_id=str(command["user_id"]),
        channel_id=str(command["channel_id"]),
        response_url=command.get("response_url"),
        role=role,
        addresses=addresses,
        delivery_key=delivery_key(body),
    )
    await invite_if_allowed(
        bot, job, tell=lambda text: respond(response_type="ephemeral", text=text)
    )


async def _open_invite_modal(
    bot: Bot, command: dict[str, Any], respond: AsyncRespond, role: str | None
) -> None:
    user_id = str(command["user_id"])
    if not await require_inviter(bot, user_id, respond):
        return
    metadata = json.dumps({"channel_id": command["channel_id"]})
    roles = bot.cached_roles()
    # trigger_id lives 3 s: open now, fill the role list in once Gencove answers.
    opened = await bot.slack.views_open(
        trigger_id=command["trigger_id"],
        view=invite_modal(roles or [], default_role=role, metadata=metadata),
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
                view=invite_modal(roles, default_role=role, metadata=metadata),
            )
        except SlackApiError as exc:
            # hash_conflict: the user already typed or submitted; the role stays the default.
            log.info("invite modal not refreshed: %s", exc.response.get("error"))
    if role and role not in roles:
        await respond(
            response_type="ephemeral",
            text=UNKNOWN_ROLE.format(role=escape_mrkdwn(role), roles=human_list(roles)),
        )


async def _dispatch(
    bot: Bot, parsed: object, command: dict[str, Any], respond: AsyncRespond
) -> None:
    user_id = str(command["user_id"])
    channel_id = str(command["channel_id"])
    if isinstance(parsed, ListInvitations):
        if await require_inviter(bot, user_id, respond):
            message = await listing.page(bot, parsed.status, 0)
            await respond(response_type="ephemeral", text=message.text, blocks=message.blocks)
    elif isinstance(parsed, Revoke):
        if await require_inviter(bot, user_id, respond):
            await _revoke_targets(bot, parsed, user_id, channel_id, respond)
    elif isinstance(parsed, Notify):
        if await require_inviter(bot, user_id, respond):
            await _notify(bot, parsed, user_id, channel_id, respond)
    elif isinstance(parsed, Accept):
        message = await accepting.card(bot, parsed.token, user_id)
        await respond(response_type="ephemeral", text=message.text, blocks=message.blocks)
    elif isinstance(parsed, Link):
        if bot.vault is None:
            await respond(response_type="ephemeral", text=LINKING_OFF)
            return
        await bot.slack.views_open(
            trigger_id=command["trigger_id"],
            view=link_modal(metadata=json.dumps({"channel_id": channel_id})),
        )
    elif isinstance(parsed, Unlink):
        removed = await bot.store.links.delete(user_id)
        if removed:
            await bot.store.audit.add(
                actor_slack_id=user_id, action="unlink", channel_id=channel_id
            )
        text = (
            "Your Gencove account is unlinked; the bot no longer holds your key."
            if removed
            else "You had no Gencove account linked."
        )
        await respond(response_type="ephemeral", text=text)
    elif isinstance(parsed, WhoAmI):
        await respond(response_type="ephemeral", text=await accepting.whoami(bot, user_id))
    else:  # pragma: no cover - the grammar has no other commands
        raise AssertionError(f"unhandled command {parsed!r}")


async def _revoke_targets(
    bot: Bot, parsed: Revoke, user_id: str, channel_id: str, respond: AsyncRespond
) -> None:
    """One line per target; Gencove failing for one target does not hide the others."""
    lines: list[str] = []
    for target in parsed.targets:
        label = target.email if isinstance(target, RevokeByEmail) else target.invitation_id
        try:
            if isinstance(target, RevokeByEmail):
                found = await bot.gencove.find_pending(target.email)
                if found is None:
                    lines.append(
                        f"• {escape_mrkdwn(label)}: no pending invitation, nothing revoked."
                    )
                    continue
                invitation_id = found.id
            else:
                invitation_id = target.invitation_id
            outcome = await revoke(bot, invitation_id, user_id=user_id, channel_id=channel_id)
        except GencoveError as exc:
            lines.append(f"• {escape_mrkdwn(label)}: not revoked. {gencove_failed(exc)}")
            continue
        lines.append(f"• {escape_mrkdwn(outcome.email or label)}: {describe(outcome)}")
    await respond(response_type="ephemeral", text=truncate("\n".join(lines), 3000))


def describe(outcome: RevokeOutcome) -> str:
    if outcome.result == "revoked":
        return "revoked."
    if outcome.result == "not_pending":
        return f"nothing revoked: the invitation is already {outcome.status}."
    if outcome.result == "unknown":
        return "nothing revoked: Gencove does not know this invitation."
    return f"not revoked. Gencove said: {escape_mrkdwn(outcome.message or 'unknown error')}"


async def _notify(
    bot: Bot, parsed: Notify, user_id: str, channel_id: str, respond: AsyncRespond
) -> None:
    if parsed.action == "here":
        added = await bot.store.subscriptions.add(channel_id, user_id)
        await bot.store.audit.add(actor_slack_id=user_id, action="notify_on", channel_id=channel_id)
        text = (
            "This channel will get a message when an invitation is accepted, expires or is "
            "revoked, or one is made outside Slack."
            if added
            else "This channel already gets invitation notifications."
        )
    elif parsed.action == "off":
        removed = await bot.store.subscriptions.remove(channel_id)
        if removed:
            await bot.store.audit.add(
                actor_slack_id=user_id, action="notify_off", channel_id=channel_id
            )
        text = (
            "This channel will no longer get invitation notifications."
            if removed
            else "This channel was not getting invitation notifications."
        )
    else:
        channels = [s.channel_id for s in await bot.store.subscriptions.all()]
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


__all__ = ["describe", "gencove_failed", "guarded", "guarded_once", "register", "require_inviter"]
