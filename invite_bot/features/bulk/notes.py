"""A note to the person who sent a list: in their DM with the bot when the list came
there, else privately in the channel (an ephemeral note, else a DM)."""

from __future__ import annotations

import logging

from invite_bot.slack.blockkit import Message
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted

log = logging.getLogger(__name__)


async def tell(outbound: Outbound, channel_id: str, user_id: str, message: Message) -> None:
    if channel_id.startswith("D"):
        await post_dm(outbound, channel_id, message)
    else:
        await outbound.tell(user_id, message, channel=channel_id)


async def post_dm(outbound: Outbound, channel_id: str, message: Message) -> None:
    posted = await outbound.post(channel_id, message)
    if not isinstance(posted, Posted):
        log.warning("a DM note was not posted (%s)", posted.error)
