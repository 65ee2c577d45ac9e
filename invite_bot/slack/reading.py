"""What the bot reads back from Slack before it sends: a channel's recent history and a
thread (was a post whose answer was lost delivered?), a channel's name, a link to a
message, the email on a person's profile. Reads only; a failure is classified like any
other call's, and returned."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.slack.errors import SLACK_FAILURES, SlackFailure, classify

log = logging.getLogger(__name__)

HISTORY_SLACK = timedelta(minutes=1)  # clocks differ: look a little before `since`


@dataclass(frozen=True)
class Posted:
    """Where a message is: its channel and timestamp."""

    channel: str
    ts: str


class Reading:
    """Slack's answers about what is there, for one bot's client."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def history(
        self, channel: str, *, since: datetime | None
    ) -> list[Mapping[str, Any]] | SlackFailure:
        """The channel's messages since `since` (a minute's slack) with their metadata."""
        oldest = f"{(since - HISTORY_SLACK).timestamp():.6f}" if since else "0"
        try:
            answer = await self.client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200
            )
        except SLACK_FAILURES as exc:
            failure = classify(exc)
            log.warning("cannot read the history of %s: %s", channel, failure.error)
            return failure
        return [m for m in answer.get("messages") or [] if isinstance(m, Mapping)]

    async def thread(self, channel: str, ts: str) -> list[Mapping[str, Any]] | SlackFailure:
        """The thread of the message at (channel, ts): that message, then its replies."""
        try:
            answer = await self.client.conversations_replies(channel=channel, ts=ts, limit=1000)
        except SLACK_FAILURES as exc:
            return classify(exc)
        return [m for m in answer.get("messages") or [] if isinstance(m, Mapping)]

    async def channel_name(self, channel: str) -> str | None:
        """A channel's name (None for a DM, or when Slack does not say)."""
        if channel.startswith("D"):
            return None
        try:
            answer = await self.client.conversations_info(channel=channel)
        except SLACK_FAILURES as exc:
            log.info("no name for channel %s (%s)", channel, classify(exc).error)
            return None
        info = answer.get("channel") or {}
        name = info.get("name") if isinstance(info, Mapping) else None
        return str(name)[:80] if name and not info.get("is_im") else None

    async def find_posted(
        self, channel: str, *, key: str, since: datetime | None
    ) -> Posted | SlackFailure | None:
        """The message carrying `key` in the channel's recent history; None when it is not
        there, a failure when the history cannot be read now."""
        found = await self.history(channel, since=since)
        if isinstance(found, SlackFailure):
            return found
        for message in found:
            if key in keys_of(message) and message.get("ts"):
                return Posted(channel, str(message["ts"]))
        return None

    async def permalink(self, where: Posted) -> str | None:
        """A link to the message at `where`; None when Slack will not give one."""
        try:
            answer = await self.client.chat_getPermalink(channel=where.channel, message_ts=where.ts)
        except SLACK_FAILURES as exc:
            log.info("no link to a message in %s: %s", where.channel, classify(exc).error)
            return None
        link = answer.get("permalink")
        if not isinstance(link, str) or not link.startswith(("https://", "http://")):
            return None
        return None if any(c in link for c in "<>| ") else link  # it goes into <link|label>

    async def profile_email(self, user_id: str) -> str | SlackFailure | None:
        """The email on `user_id`'s profile (`users.info`, with the `users:read.email`
        scope); None for a bot, a deleted account or none shown."""
        try:
            answer = await self.client.users_info(user=user_id)
        except SLACK_FAILURES as exc:
            return classify(exc)
        user = answer.get("user") or {}
        if not isinstance(user, dict) or user.get("is_bot") or user.get("deleted"):
            return None
        email = (user.get("profile") or {}).get("email")
        return email.strip() if isinstance(email, str) and email.strip() else None


def keys_of(message: Mapping[str, Any]) -> list[str]:
    """The keys a message the bot posted carries in its metadata."""
    metadata = message.get("metadata")
    payload = metadata.get("event_payload") if isinstance(metadata, Mapping) else None
    if not isinstance(payload, Mapping):
        return []
    found = [payload.get("key"), *(payload.get("keys") or [])]
    return [key for key in found if isinstance(key, str)]
