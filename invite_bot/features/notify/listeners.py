"""`/gencove notify here | off | me | me off` and `/gencove notify`: which channels hear
of invitation changes, and whether a person gets DMs about their own invitations."""

from __future__ import annotations

from invite_bot.domain.command.grammar import Notify
from invite_bot.features.notify.personal import notify_me
from invite_bot.slack.guard import Reply, Turn, then
from invite_bot.slack.people import Inviters, require_inviter
from invite_bot.slack.router import Router
from invite_bot.store import Store, Tx

SUBSCRIBED = (
    "This channel will get a message when an invitation is accepted, expires or is revoked, "
    "or one is made outside Slack."
)


def register(
    router: Router, store: Store, inviters: Inviters, *, notify_channel: str | None
) -> None:
    async def notify(command: Notify, turn: Turn) -> None:
        if command.action in ("me", "me_off"):
            # Anyone's own choice: a DM when their invitations are accepted, expire or are
            # revoked.
            await turn.reply(await notify_me(store, turn.request.user, command.action == "me"))
        elif await require_inviter(inviters, turn):
            await turn.reply(await _channel_setting(store, command, turn, notify_channel))

    def decide(command: Notify, turn: Turn) -> Reply:
        return then(lambda: notify(command, turn))

    router.subcommand(Notify, decide, name="notify")


async def _channel_setting(
    store: Store, command: Notify, turn: Turn, notify_channel: str | None
) -> str:
    """Subscribe or unsubscribe the channel, or say which channels are subscribed."""
    user_id, channel_id = turn.request.user, turn.request.channel
    if command.action == "here":
        added = await store.write(lambda tx: _subscribe(tx, user_id, channel_id))
        return SUBSCRIBED if added else "This channel already gets invitation notifications."
    if command.action == "off":
        removed = await store.write(lambda tx: _unsubscribe(tx, user_id, channel_id))
        return (
            "This channel will no longer get invitation notifications."
            if removed
            else "This channel was not getting invitation notifications."
        )
    subscribed = [s.channel_id for s in await store.read(lambda tx: tx.subscriptions.all())]
    if not subscribed and not notify_channel:
        return "No channel gets invitation notifications. Use `/gencove notify here`."
    named = ", ".join(f"<#{c}>" for c in subscribed) or "no subscribed channel"
    always = ""
    if notify_channel:
        always = f", and always to <#{notify_channel}> (`INVITE_NOTIFY_CHANNEL`)"
    return f"Invitation notifications go to {named}{always}."


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
