"""A job's result, delivered: post or update its message, else the next best way.

`deliver` is the whole ladder for a job's result: update the message the job already
has, or post it; where the bot may not post, Slack's `response_url` still reaches the
channel; failing that, the person who asked gets it privately (response_url, then an
ephemeral note, then a DM) with a line saying why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from invite_bot.domain.text import escape_mrkdwn
from invite_bot.slack.blockkit import Message, with_note
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted

log = logging.getLogger(__name__)


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


async def deliver(
    outbound: Outbound, place: Place, message: Message, *, resumed: bool
) -> Delivered:
    """Show `message` where `place` says, by the best way that works (see module doc)."""
    if place.message is not None:
        failure = await outbound.update(place.message, message)
        if failure is None:
            return Delivered(place.message, True)
        log.error("could not update message %s: %s", place.key, failure.error)
        note = (
            f":warning: Slack did not take the update of the result message in "
            f"<#{place.message.channel}> ({escape_mrkdwn(failure.error)}); "
            "this is where it stands."
        )
        return Delivered(None, await tell_asker(outbound, place, with_note(message, note)))
    result = await outbound.post(
        place.channel_id, message, keys=[place.key], since=place.since, look_first=resumed
    )
    if isinstance(result, Posted):
        return Delivered(result, True)
    if (
        result.cannot_post_here
        and place.response_url
        and await outbound.respond(place.response_url, message, public=True) is None
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
    return Delivered(None, await tell_asker(outbound, place, with_note(message, note)))


async def tell_asker(outbound: Outbound, place: Place, message: Message) -> bool:
    """A copy for the asker alone: response_url, an ephemeral note, else a DM."""
    # A modal invite from a channel the bot is not in ends in a direct message.
    return await outbound.tell(
        place.user_id, message, channel=place.channel_id, response_url=place.response_url
    )
