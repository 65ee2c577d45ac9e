"""The chat.* methods: chat.postMessage, chat.update, chat.delete, chat.postEphemeral,
chat.getPermalink."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from invite_bot.playground.slack.messages import (
    CONTENT_KEYS,
    blocks_or_none,
    channel_arg,
    check_content,
    dm_id,
    message_json,
)
from invite_bot.playground.slack.records import Ephemeral, JSONDict, Message
from invite_bot.playground.slack.refusal import ApiError

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack


class Chat:
    """Messages the bot posts, edits and deletes in ``slack.messages`` (and its ephemeral
    notes in ``slack.ephemerals``)."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self._last_ts_micros = 0

    def methods(self) -> dict[str, Callable[[JSONDict], JSONDict]]:
        return {
            "chat.postMessage": self.post_message,
            "chat.update": self.update,
            "chat.delete": self.delete,
            "chat.postEphemeral": self.post_ephemeral,
            "chat.getPermalink": self.permalink,
        }

    def permalink(self, args: JSONDict) -> JSONDict:
        """A link to a message the local Slack holds, shaped like Slack's archive links."""
        channel = dm_id(channel_arg(args, self.slack.unknown_channels))
        ts = str(args.get("message_ts") or "")
        if (channel, ts) not in self.slack.messages:
            raise ApiError("message_not_found")
        link = f"{self.slack.base_url}/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _next_ts(self) -> str:
        # Real time, like Slack (clients filter history by time), strictly increasing.
        micros = max(int(time.time() * 1_000_000), self._last_ts_micros + 100)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def post_message(self, args: JSONDict) -> JSONDict:
        slack = self.slack
        channel = channel_arg(args, slack.unknown_channels)
        check_content(args)
        if channel in slack.not_in_channel:
            raise ApiError("not_in_channel")
        channel_id = dm_id(channel)
        ts = self._next_ts()
        msg = Message(
            channel=channel_id,
            ts=ts,
            text=args.get("text"),
            blocks=blocks_or_none(args.get("blocks")),
            thread_ts=args.get("thread_ts") or None,
            user=slack.bot_user_id,
            metadata=_metadata_arg(args.get("metadata")),
        )
        msg.history.append(
            {"text": msg.text, "blocks": msg.blocks, "time": time.monotonic(), "via": "post"}
        )
        slack.messages[(channel_id, ts)] = msg
        return {"channel": channel_id, "ts": ts, "message": message_json(msg, slack)}

    def person_message(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        blocks: list[Any] | None,
        files: list[str] | None = None,
    ) -> Message:
        """A message a person sent (not through the API: from Slack's client)."""
        msg = Message(
            channel=channel_id,
            ts=self._next_ts(),
            text=text,
            blocks=blocks,
            user=user_id,
            subtype="file_share" if files else None,
            files=list(files or []),
        )
        msg.history.append(
            {"text": text, "blocks": blocks, "time": time.monotonic(), "via": "client"}
        )
        self.slack.messages[(channel_id, msg.ts)] = msg
        return msg

    def _find_message(self, args: Mapping[str, Any]) -> Message:
        channel = channel_arg(args, self.slack.unknown_channels)
        ts = args.get("ts")
        msg = self.slack.messages.get((dm_id(channel), str(ts)))
        if msg is None or msg.deleted:
            raise ApiError("message_not_found")
        return msg

    def update(self, args: JSONDict) -> JSONDict:
        msg = self._find_message(args)
        check_content(args, require=False)
        if not any(k in args for k in CONTENT_KEYS):
            raise ApiError("no_text", violation=True, details=["neither text nor blocks"])
        if "text" in args:
            msg.text = args["text"]
        if "blocks" in args:  # Slack keeps the old blocks when "blocks" is omitted
            msg.blocks = blocks_or_none(args["blocks"]) or None
        msg.history.append(
            {"text": msg.text, "blocks": msg.blocks, "time": time.monotonic(), "via": "update"}
        )
        return {
            "channel": msg.channel,
            "ts": msg.ts,
            "text": msg.text or "",
            "message": message_json(msg, self.slack),
        }

    def delete(self, args: JSONDict) -> JSONDict:
        msg = self._find_message(args)
        msg.deleted = True
        return {"channel": msg.channel, "ts": msg.ts}

    def post_ephemeral(self, args: JSONDict) -> JSONDict:
        channel = channel_arg(args, self.slack.unknown_channels)
        user = args.get("user")
        if not isinstance(user, str) or not user:
            raise ApiError("invalid_arguments", violation=True, details=["user is missing"])
        check_content(args)
        if channel in self.slack.not_in_channel:
            raise ApiError("not_in_channel")
        ts = self._next_ts()
        self.slack.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=user,
                text=args.get("text"),
                blocks=blocks_or_none(args.get("blocks")),
                message_ts=ts,
                thread_ts=args.get("thread_ts") or None,
                time=time.monotonic(),
            )
        )
        return {"message_ts": ts}


def _metadata_arg(raw: Any) -> JSONDict | None:
    """Message metadata: {"event_type": str, "event_payload": object}, as Slack wants."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ApiError("invalid_metadata_format", violation=True) from None
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("event_type"), str)
        or not isinstance(raw.get("event_payload"), dict)
    ):
        raise ApiError("invalid_metadata_format", violation=True, details=[repr(raw)])
    return dict(raw)
