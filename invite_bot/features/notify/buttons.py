"""The notification settings as controls (the Home tab shows them): one's own DMs on or
off, a channel's notifications stopped, a channel chosen to get them. Pure: no I/O."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
    ConversationFilter,
    ConversationSelectElement,
)

# action ids: the one place listeners and builders agree on
NOTIFY_ME = "notify_me_toggle"  # value "on" or "off": what to set
CHANNEL_OFF = "notify_channel_off"  # value: the channel id
CHANNEL_ON = "notify_channel_on"  # a conversations select: the channel chosen


def notify_me_button(*, on_now: bool) -> ButtonElement:
    """The button that turns one's own DMs the other way."""
    return ButtonElement(
        text="Turn off" if on_now else "Turn on",
        action_id=NOTIFY_ME,
        value="off" if on_now else "on",
    )


def channel_off_button(channel_id: str) -> ButtonElement:
    return ButtonElement(
        text="Stop",
        action_id=CHANNEL_OFF,
        value=channel_id,
        confirm=ConfirmObject(
            title="Stop notifications here?",
            text=f"<#{channel_id}> will no longer hear of invitation changes.",
            confirm="Stop",
            deny="Keep them",
        ),
    )


def channel_select() -> ConversationSelectElement:
    return ConversationSelectElement(
        action_id=CHANNEL_ON,
        placeholder="Send notifications to…",
        filter=ConversationFilter(include=["public", "private"]),
    )
