"""`/gencove notify here | off | me | me off` and `/gencove notify`: which channels hear
of invitation changes, and whether a person gets DMs about their own invitations."""

from __future__ import annotations

from invite_bot.domain.command.types import Notify
from invite_bot.features.notify.buttons import CHANNEL_OFF, CHANNEL_ON, NOTIFY_ME
from invite_bot.features.notify.personal import notify_me
from invite_bot.slack.guard import Reply, Turn, later, then
from invite_bot.slack.people import Inviters, require_inviter
from invite_bot.slack.router import Router
from invite_bot.slack.trust import OutOfDate, channel_id
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

    # The same settings as controls (the Home tab): the same checks, the same audit.
    async def toggle_me(turn: Turn) -> None:
        value = turn.payload.get("value")
        if value not in ("on", "off"):
            raise OutOfDate("a notify-me button's value")
        await turn.tell(await notify_me(store, turn.request.user, value == "on"))

    async def channel_off(turn: Turn) -> None:
        chosen = _chosen(turn.payload.get("value"))
        if await require_inviter(inviters, turn):
            user = turn.request.user
            removed = await store.write(lambda tx: _unsubscribe(tx, user, chosen))
            await turn.tell(
                f"<#{chosen}> will no longer get invitation notifications."
                if removed
                else f"<#{chosen}> was not getting invitation notifications."
            )

    async def channel_on(turn: Turn) -> None:
        chosen = _chosen(turn.payload.get("selected_conversation"))
        if await require_inviter(inviters, turn):
            user = turn.request.user
            added = await store.write(lambda tx: _subscribe(tx, user, chosen))
            await turn.tell(
                f"<#{chosen}> will get a message when an invitation is accepted, expires or "
                "is revoked, or one is made outside Slack."
                if added
                else f"<#{chosen}> already gets invitation notifications."
            )

    router.action(NOTIFY_ME, later(toggle_me), name="notify_me")
    router.action(CHANNEL_OFF, later(channel_off), name="notify_channel_off")
    router.action(CHANNEL_ON, later(channel_on), name="notify_channel_on")


def _chosen(value: object) -> str:
    """A channel a control names; `OutOfDate` for anything the bot could not have shown."""
    chosen = channel_id(value)
    if chosen is None:
        raise OutOfDate("a notification control's channel")
    return chosen


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
