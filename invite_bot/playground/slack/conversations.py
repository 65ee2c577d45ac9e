"""The conversations.* methods: conversations.info, conversations.history,
conversations.replies (a thread) and conversations.open (a DM with a person).

A file the bot shared (`files.completeUploadExternal`) is a message in its channel, or in
the thread it was shared in, as Slack makes one: with the file in its `files`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from invite_bot.playground.slack.messages import channel_arg, dm_id, message_json
from invite_bot.playground.slack.records import JSONDict, Message
from invite_bot.playground.slack.refusal import ApiError
from invite_bot.playground.slack_files import SlackFile

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
            "conversations.replies": self.replies,
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
        """Newest first, from `oldest` on; metadata only with include_all_metadata. A reply
        in a thread is not in it (Slack lists replies with conversations.replies)."""
        channel = self._readable(args)
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in {"1", "true"}
        found = [
            data
            for data in self._in(channel, with_metadata)
            if float(data["ts"]) >= oldest and data.get("thread_ts") in (None, data["ts"])
        ]
        found.sort(key=lambda data: float(data["ts"]), reverse=True)
        return {"messages": found[:limit], "has_more": False}

    def replies(self, args: JSONDict) -> JSONDict:
        """A thread: the message at `ts`, then its replies, oldest first."""
        channel = self._readable(args)
        ts = str(args.get("ts") or "")
        if not ts:
            raise ApiError("invalid_arguments", violation=True, details=["ts is missing"])
        limit = int(args.get("limit") or 1000)
        thread = [
            data
            for data in self._in(channel, with_metadata=False)
            if data["ts"] == ts or data.get("thread_ts") == ts
        ]
        if not any(data["ts"] == ts for data in thread):
            raise ApiError("thread_not_found")
        thread.sort(key=lambda data: float(data["ts"]))
        return {"messages": thread[:limit], "has_more": False}

    def _readable(self, args: JSONDict) -> str:
        channel = channel_arg(args, self.slack.unknown_channels)
        if channel in self.slack.not_in_channel:
            raise ApiError("not_in_channel")
        return dm_id(channel)

    def _in(self, channel: str, with_metadata: bool) -> list[JSONDict]:
        """Every message in `channel` as Slack answers it (threads' replies too), and the
        messages Slack made for the files the bot shared there."""
        slack = self.slack
        found: list[JSONDict] = []
        for (where, _), msg in slack.messages.items():
            if where == channel and not msg.deleted:
                found.append(self._json(msg, with_metadata))
        for shared in slack.files.files.values():
            if shared.by_bot and shared.shown_in_channels and channel in shared.channels:
                found.append(self._file_share(shared))
        return found

    def _json(self, msg: Message, with_metadata: bool) -> JSONDict:
        data = message_json(msg, self.slack)
        if with_metadata and msg.metadata is not None:
            data["metadata"] = msg.metadata
        return data

    def _file_share(self, shared: SlackFile) -> JSONDict:
        slack = self.slack
        data: JSONDict = {
            "type": "message",
            "user": slack.bot_user_id,
            "bot_id": slack.bot_id,
            "app_id": slack.app_id,
            "team": slack.team_id,
            "ts": shared.share_ts or f"{shared.created:.6f}",
            "text": shared.initial_comment or "",
            "upload": True,
            "files": [slack.files.describe(shared)],
        }
        if shared.thread_ts:
            data["thread_ts"] = shared.thread_ts
        return data

    def open(self, args: JSONDict) -> JSONDict:
        users = str(args.get("users", "")).split(",")
        if not users[0]:
            raise ApiError("users_list_not_supplied", violation=True)
        return {"channel": {"id": dm_id(users[0])}}
