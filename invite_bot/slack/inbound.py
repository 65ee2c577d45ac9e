"""One typed view of a Slack request, read once from whatever body Slack sent.

Slash commands arrive as flat form fields (`user_id`, `channel_id`, …); interactions
(`block_actions`, `view_submission`, `view_closed`) and Events API callbacks nest them
(`user.id`, `channel.id`, `event.user`, …). `SlackRequest.parse` reads every one of those
shapes, and any other body, without raising: what is missing or of the wrong type is None,
and a listener that needs it asks through `user`, `channel` or `trigger`, which raise
`IncompleteRequest` — the guard turns that into one clear sentence for the user.
A modal's `private_metadata` is read through `trust.metadata`: only the fields the bot
writes, each of the shape it writes them in.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from invite_bot.slack import trust

COMMAND = "slash_command"


class IncompleteRequest(Exception):
    """A listener needed a field that Slack's request did not carry."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"the request carries no {missing}")
        self.missing = missing


@dataclass(frozen=True)
class SlackRequest:
    """Who sent a request, from where, and how to answer them."""

    kind: str  # "slash_command", "block_actions", "view_submission", "event_callback", …
    delivery_key: str  # the body's fingerprint: the same for each of Slack's retries
    user_id: str | None = None
    channel_id: str | None = None
    team_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None
    message_ts: str | None = None  # the clicked message (block_actions on a message)
    # a modal's private_metadata: the fields the bot writes, each checked (`trust.metadata`)
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # names of the metadata fields that failed their check (dropped; logged once)
    rejected: tuple[str, ...] = ()
    retry_num: int | None = None  # X-Slack-Retry-Num; informative only (see guard.py)

    @classmethod
    def parse(
        cls, body: object, headers: Mapping[str, Sequence[str] | str] | None = None
    ) -> SlackRequest:
        """Read `body` (Bolt's parsed request body) and, optionally, its headers."""
        data = body if isinstance(body, Mapping) else {}
        retry_num = _int(_header(headers, "x-slack-retry-num"))
        key = delivery_key(body)
        if "command" in data and "type" not in data:
            return cls(
                kind=COMMAND,
                delivery_key=key,
                user_id=_str(data.get("user_id")),
                channel_id=_str(data.get("channel_id")),
                team_id=_str(data.get("team_id")),
                response_url=_str(data.get("response_url")),
                trigger_id=_str(data.get("trigger_id")),
                retry_num=retry_num,
            )
        kind = _str(data.get("type")) or "unknown"
        if kind == "event_callback":
            event = _map(data.get("event"))
            return cls(
                kind=kind,
                delivery_key=key,
                user_id=_str(event.get("user")),
                channel_id=_str(event.get("channel")),
                team_id=_str(data.get("team_id")),
                retry_num=retry_num,
            )
        user = _map(data.get("user"))
        view = _map(data.get("view"))
        read = trust.metadata(view.get("private_metadata"))
        metadata = read.fields
        channel = (
            _str(_map(data.get("channel")).get("id"))
            or _str(_map(data.get("container")).get("channel_id"))
            or _str(metadata.get("channel_id"))
        )
        return cls(
            kind=kind,
            delivery_key=key,
            user_id=_str(user.get("id")) or _str(data.get("user_id")),
            channel_id=channel,
            team_id=(
                _str(_map(data.get("team")).get("id"))
                or _str(user.get("team_id"))
                or _str(data.get("team_id"))
            ),
            response_url=_str(data.get("response_url")),
            trigger_id=_str(data.get("trigger_id")),
            message_ts=_str(_map(data.get("message")).get("ts")),
            metadata=metadata,
            rejected=read.rejected,
            retry_num=retry_num,
        )

    @property
    def user(self) -> str:
        """The user's id; raises `IncompleteRequest` when Slack did not say who."""
        if self.user_id is None:
            raise IncompleteRequest("user")
        return self.user_id

    @property
    def channel(self) -> str:
        if self.channel_id is None:
            raise IncompleteRequest("channel")
        return self.channel_id

    @property
    def trigger(self) -> str:
        if self.trigger_id is None:
            raise IncompleteRequest("trigger_id")
        return self.trigger_id


def delivery_key(body: object) -> str:
    """A stable fingerprint of a Slack request body (trigger_id/action_ts make it unique)."""
    try:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        # Not a body Slack sends (JSON gives string keys): one that matches nothing.
        return f"unreadable:{uuid.uuid4().hex}"
    return hashlib.sha256(canonical.encode()).hexdigest()


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _header(headers: Mapping[str, Sequence[str] | str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, values in headers.items():
        if key.lower() == name:
            if isinstance(values, str):
                return values
            return str(values[0]) if values else None
    return None


def view_value(view: Mapping[str, Any], block_id: str, action_id: str) -> Mapping[str, Any]:
    """One input's state in a submitted view (empty when the view has none such)."""
    values = _map(_map(view.get("state")).get("values"))
    return _map(_map(values.get(block_id)).get(action_id))
