"""The conversations.* methods: conversations.info, conversations.history and
conversations.open (a DM with a person)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from invite_bot.playground.slack.messages import channel_arg, dm_id, message_json
from invite_bot.playground.slack.records import JSONDict
from invite_bot.playground.slack.refusal import ApiError

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack


class Conversations:
    """Channels as the bot sees them (``slack.channels`` overrides, ``not_in_channel``,
    ``unknown_channels``) and the messages in them."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack

    def methods(self) -> dict[str, Callable[[JSONDict], JSONDict]]:
        return {
            "conversations.info": self.info,
            "conversations.history": self.history,
            "conversations.open": self.open,
        }

    def info(self, args: JSONDict) -> JSONDict:
        channel = channel_arg(args, self.slack.unknown_channels)
        if channel in self.slack.channels:
            return {"channel": self.slack.channels[channel]}
        return {
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": channel.startswith("C"),
                "is_private": channel.startswith("G"),
                "is_im": channel.startswith("D"),
                "is_member": channel not in self.slack.not_in_channel,
                "is_archived": False,
            }
        }

    def history(self, args: JSONDict) -> JSONDict:
        """Newest first, from `oldest` on; metadata only with include_all_metadata."""
        slack = self.slack
        channel = channel_arg(args, slack.unknown_channels)
        if channel in slack.not_in_channel:
            raise ApiError("not_in_channel")
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        found = sorted(
            (
                m
                for (c, ts), m in slack.messages.items()
                if c == channel and not m.deleted and float(ts) >= oldest
            ),
            key=lambda m: float(m.ts),
            reverse=True,
        )[:limit]
        messages = []
        for msg in found:
            data = message_json(msg, slack)
            if with_metadata and msg.metadata is not None:
                data["metadata"] = msg.metadata
            messages.append(data)
        return {"messages": messages, "has_more": False}

    def open(self, args: JSONDict) -> JSONDict:
        users = str(args.get("users", "")).split(",")
        if not users[0]:
            raise ApiError("users_list_not_supplied", violation=True)
        return {"channel": {"id": dm_id(users[0])}}
