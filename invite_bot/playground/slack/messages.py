"""Messages on the wire, shared by the chat.*, conversations.* and response_url handlers:
the channel a request names, the text/blocks checks Slack makes, and the JSON Slack
answers for a message."""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import TYPE_CHECKING, Any

from invite_bot.playground.slack.blockkit import validate_blocks
from invite_bot.playground.slack.records import JSONDict, Message
from invite_bot.playground.slack.refusal import ApiError

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack

MAX_TEXT_CHARS = 40_000
CONTENT_KEYS = ("text", "blocks", "attachments", "markdown_text")


def check_content(args: Mapping[str, Any], *, require: bool = True) -> None:
    """Validate text / blocks of a message-ish payload (raises ApiError)."""
    text = args.get("text")
    if text is not None and not isinstance(text, str):
        raise ApiError("invalid_arguments", violation=True, details=["text must be a string"])
    if text is not None and len(text) > MAX_TEXT_CHARS:
        raise ApiError("msg_too_long", violation=True, details=[f"text has {len(text)} characters"])
    blocks = args.get("blocks")
    if blocks is not None and blocks != "":
        errors = validate_blocks(blocks)
        if errors:
            raise ApiError("invalid_blocks", violation=True, details=errors)
    has_content = any(args.get(k) for k in CONTENT_KEYS)
    if require and not has_content:
        raise ApiError("no_text", violation=True, details=["neither text nor blocks"])


def channel_arg(args: Mapping[str, Any], unknown_channels: Container[str]) -> str:
    """The ``channel`` a request names (raises channel_not_found)."""
    channel = args.get("channel")
    if not isinstance(channel, str) or not channel:
        raise ApiError("channel_not_found", violation=True, details=["channel is missing"])
    if channel in unknown_channels:
        raise ApiError("channel_not_found")
    return channel


def dm_id(channel: str) -> str:
    """The DM channel id for a user id (a channel id stays as it is)."""
    return "D" + channel[1:] if channel[:1] in ("U", "W") else channel


def blocks_or_none(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


def message_json(msg: Message, slack: FakeSlack) -> JSONDict:
    """``msg`` as Slack answers it: posted by the bot of ``slack``, or sent by a person
    (with its files, if it shared some)."""
    data: JSONDict = {"type": "message", "user": msg.user}
    if msg.user == slack.bot_user_id:
        data.update(bot_id=slack.bot_id, app_id=slack.app_id)
    data.update(team=slack.team_id, ts=msg.ts, text=msg.text or "")
    if msg.subtype:
        data["subtype"] = msg.subtype
    if msg.files:
        shared = [slack.files.files[i] for i in msg.files if i in slack.files.files]
        data["files"] = [slack.files.describe(found) for found in shared]
    if msg.blocks is not None:
        data["blocks"] = msg.blocks
    if msg.thread_ts:
        data["thread_ts"] = msg.thread_ts
    return data
