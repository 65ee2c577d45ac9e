"""Getting one message to people: post or update it, else the next best way, never twice.

Shared by every job kind and by the watcher. A post carries a key in Slack message
metadata; when Slack's answer cannot be read (`classify(...).may_have_happened`) the
channel's recent history is searched for that key before the post is repeated, so a
message that did land is recorded, not sent again. An update is idempotent and simply
repeated once.

`deliver` is the whole ladder for a job's result: update the message the job already
has, or post it; where the bot may not post, Slack's `response_url` still reaches the
channel; failing that, the person who asked gets it privately (response_url, then an
ephemeral note, then a DM) with a line saying why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.domain.text import escape_mrkdwn
from invite_bot.slack.blockkit import Message, with_note
from invite_bot.slack.context import Bot
from invite_bot.slack.errors import SLACK_FAILURES, SlackFailure, classify

log = logging.getLogger(__name__)

METADATA_EVENT = "invite_bot_message"
HISTORY_SLACK = timedelta(minutes=1)  # clocks differ: look a little before `since`


@dataclass(frozen=True)
class Posted:
    """Where a message is: its channel and timestamp."""

    channel: str
    ts: str


@dataclass(frozen=True)
class Place:
    """Where a job's result goes, and the ways to reach its asker when that fails."""

    channel_id: str
    user_id: str
    key: str  # unique per message: "job:17"; goes into the message metadata
    since: datetime  # the message, if posted, is no older than this
    response_url: str | None = None
    message: Posted | None = None  # the message already showing it, if any


@dataclass(frozen=True)
class Delivered:
    """How a `deliver` ended: `posted` when the channel has the message, `reached` when
    someone (the channel, or privately the asker) has it."""

    posted: Posted | None
    reached: bool


def metadata_for(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key}}


async def post(
    slack: AsyncWebClient,
    channel: str,
    message: Message,
    *,
    key: str,
    since: datetime,
    event_type: str = METADATA_EVENT,
    look_first: bool = False,
) -> Posted | SlackFailure:
    """Post `message` in `channel`, once: an unreadable answer is checked, not repeated.

    `look_first`: the message may already be there (a job resumed after a crash).
    """
    if look_first:
        found = await find_posted(slack, channel, key=key, since=since)
        if isinstance(found, Posted):
            return found
        if found is not None and found.outcome != "refused":
            return found  # cannot tell right now whether it is there: try again later
    for _ in range(2):
        try:
            response = await slack.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                metadata={"event_type": event_type, "event_payload": {"key": key}},
            )
        except SLACK_FAILURES as exc:
            failure = classify(exc)
        else:
            ts = response.get("ts")
            if ts:
                return Posted(str(response.get("channel") or channel), str(ts))
            failure = SlackFailure("unknown", "unreadable_answer", response.status_code)
        if not failure.may_have_happened:
            return failure
        found = await find_posted(slack, channel, key=key, since=since)
        if isinstance(found, Posted):
            log.info("a post to %s whose answer was lost had landed", channel)
            return found
        if found is not None:
            return failure  # it cannot be checked now: do not risk a second copy
        # Not there: it did not happen, so one more try cannot make a second copy.
        failure = SlackFailure("later", failure.error, failure.status)
        log.info("a post to %s whose answer was lost had not landed", channel)
    return failure


async def find_posted(
    slack: AsyncWebClient, channel: str, *, key: str, since: datetime
) -> Posted | SlackFailure | None:
    """The message carrying `key` in the channel's recent history; None if it is not there,
    a failure when the history cannot be read right now."""
    oldest = (since - HISTORY_SLACK).timestamp()
    try:
        history = await slack.conversations_history(
            channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200
        )
    except SLACK_FAILURES as exc:
        failure = classify(exc)
        log.warning("cannot check the history of %s: %s", channel, failure.error)
        return failure
    for found in history.get("messages") or []:
        metadata = found.get("metadata") if isinstance(found, dict) else None
        payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
        if isinstance(payload, dict) and payload.get("key") == key and found.get("ts"):
            return Posted(channel, str(found["ts"]))
    return None


async def update(slack: AsyncWebClient, where: Posted, message: Message) -> SlackFailure | None:
    """Replace the message at `where`; None once done. An unreadable answer is repeated
    once (an update shows the same text however often it lands)."""
    failure: SlackFailure | None = None
    for _ in (1, 2):
        try:
            await slack.chat_update(
                channel=where.channel, ts=where.ts, text=message.text, blocks=message.blocks
            )
            return None
        except SLACK_FAILURES as exc:
            failure = classify(exc)
        if not failure.may_have_happened:
            break
    return failure


async def deliver(bot: Bot, place: Place, message: Message, *, resumed: bool) -> Delivered:
    """Show `message` where `place` says, by the best way that works (see module doc)."""
    if place.message is not None:
        failure = await update(bot.slack, place.message, message)
        if failure is None:
            return Delivered(place.message, True)
        log.error("could not update message %s: %s", place.key, failure.error)
        note = (
            f":warning: Slack did not take the update of the result message in "
            f"<#{place.message.channel}> ({escape_mrkdwn(failure.error)}); "
            "this is where it stands."
        )
        return Delivered(None, await tell_asker(bot, place, with_note(message, note)))
    result = await post(
        bot.slack, place.channel_id, message, key=place.key, since=place.since, look_first=resumed
    )
    if isinstance(result, Posted):
        return Delivered(result, True)
    if (
        result.cannot_post_here
        and place.response_url
        and await bot.slack_respond(
            place.response_url, message, response_type="in_channel", replace_original=False
        )
    ):
        return Delivered(None, True)
    log.error("could not post message %s: %s", place.key, result.error)
    if result.may_have_happened:
        note = (
            f":warning: Slack's answer to the result message for <#{place.channel_id}> could "
            "not be read, so it may be there too. Here it is, visible only to you."
        )
    else:
        note = (
            f":warning: Slack did not take the result message for <#{place.channel_id}> "
            f"({escape_mrkdwn(result.error)}), so here it is, visible only to you."
        )
    return Delivered(None, await tell_asker(bot, place, with_note(message, note)))


async def tell_asker(bot: Bot, place: Place, message: Message) -> bool:
    """A copy for the asker alone: response_url, an ephemeral note, else a DM."""
    if place.response_url and await bot.slack_respond(
        place.response_url, message, response_type="ephemeral", replace_original=False
    ):
        return True
    # A modal invite from a channel the bot is not in ends in a direct message.
    return await bot.tell_privately(place.channel_id, place.user_id, message)
