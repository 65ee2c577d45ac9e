"""What a person sees in a local Slack conversation: its entries (bot messages, files,
private notes), and the requests sent to the bot, for the traffic inspector."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from invite_bot.playground.slack import FakeSlack, Message
from invite_bot.playground.slack_files import SlackFile
from invite_bot.playground.world import BOT_USER_ID

EntryKind = Literal["message", "ephemeral", "command", "slack", "file"]


@dataclass
class Entry:
    """One thing a person sees in a conversation."""

    id: str  # "m:<ts>" a bot message in the channel; "f:<file id>" a file shared there;
    # "p:<n>" anything private or local
    kind: EntryKind
    channel: str
    time: float  # wall-clock seconds, for ordering
    author: str  # a Slack user id
    text: str | None
    blocks: list[Any] | None
    visible_to: str | None = None  # None: everyone in the channel
    ts: str | None = None  # a bot message's Slack ts
    edited: bool = False
    thread_ts: str | None = None  # a reply: the ts of the message it is in the thread of
    file: SlackFile | None = None  # the file shared (kind "file": its text is the comment)


@dataclass
class Delivery:
    """A request sent to the bot, for the traffic inspector."""

    time: float
    kind: str  # "slash command" | "block_actions" | "view_submission" | "view_closed"
    summary: str  # what it was, with nothing secret in it
    status: int
    seconds: float
    answer: str = ""


def channel_entry(message: Message, shared: SlackFile | None = None) -> Entry:
    """A message in the channel (the bot's, or a person's with the file it `shared`), as
    everyone there sees it."""
    return Entry(
        f"m:{message.ts}",
        "message",
        message.channel,
        float(message.ts),
        message.user or BOT_USER_ID,
        message.text,
        message.blocks,
        ts=message.ts,
        edited=len(message.history) > 1,
        thread_ts=message.thread_ts,
        file=shared,
    )


def file_entry(found: SlackFile, channel_id: str) -> Entry:
    """A file shared in the channel (by the bot's upload, or by a person), as the file
    message Slack shows there (or in the thread it was shared in), its comment on top."""
    return Entry(
        f"f:{found.id}",
        "file",
        channel_id,
        found.shared_at if found.shared_at is not None else float(found.created),
        BOT_USER_ID if found.by_bot else found.user,
        found.initial_comment,
        None,
        thread_ts=found.thread_ts,
        file=found,
    )


def seen_in(
    slack: FakeSlack, private: Sequence[Entry], user_id: str, channel_id: str
) -> list[Entry]:
    """Everything `user_id` sees in `channel_id`, oldest first: the bot's messages there
    (with the file each shares), files shared there on their own, and the private entries
    for everyone there or for them; a reply in a thread is in the list too, with its
    `thread_ts` (the page shows it under its message)."""
    files = slack.files.files
    shown = [
        channel_entry(message, files.get(message.files[0]) if message.files else None)
        for message in slack.messages.values()
        if message.channel == channel_id and not message.deleted
    ]
    shown += [  # a file shared with a person's message is shown in that message
        file_entry(found, channel_id)
        for found in files.values()
        if found.shown_in_channels and channel_id in found.channels and found.message_ts is None
    ]
    shown += [
        entry
        for entry in private
        if entry.channel == channel_id and entry.visible_to in (None, user_id)
    ]
    return sorted(shown, key=lambda entry: entry.time)
