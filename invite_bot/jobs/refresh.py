"""Result messages: an invite job's message is a pure function of the stored facts.

Because the message is rebuilt from the store (the job's addresses and what is known of each
invitation) rather than patched, any later change — a click, a typed `revoke`, a poll, a
restart — updates it the same way and to the same text.
"""

from __future__ import annotations

import logging

from invite_bot.bot import Bot
from invite_bot.jobs.rows import job_rows
from invite_bot.slack.blockkit import Message
from invite_bot.slack.outbound import Posted
from invite_bot.store import InviteJob

log = logging.getLogger(__name__)


async def render_job(bot: Bot, job: InviteJob) -> Message:
    """The job's message as it stands, as its kind renders it."""
    rows = await job_rows(bot, job)
    return await bot.kinds.of(job).render(bot, job, rows, job.finished_at is not None)


async def refresh_message(bot: Bot, channel_id: str, message_ts: str) -> bool:
    """Re-render the message at (channel, ts) from the store; False if unknown.

    A message a feature owns (a notification or reminder the watcher posted, where a
    re-invite made it show a new invitation) is rendered by that feature; any other is the
    message of the job posted there."""
    message = await bot.kinds.owned(bot, channel_id, message_ts)
    if message is None:
        job = await bot.store.read(lambda tx: tx.jobs.for_message(channel_id, message_ts))
        if job is None:
            return False
        message = await render_job(bot, job)
    failure = await bot.outbound.update(Posted(channel_id, message_ts), message)
    if failure is not None:
        log.warning("could not update result message: %s", failure.error)
        return False
    return True


async def refresh_invitation_message(bot: Bot, invitation_id: str) -> bool:
    """Update the result message that shows this invitation, if the bot posted one."""
    known = await bot.store.read(lambda tx: tx.invitations.get(invitation_id))
    if known is None or not known.channel_id or not known.message_ts:
        return False
    return await refresh_message(bot, known.channel_id, known.message_ts)
