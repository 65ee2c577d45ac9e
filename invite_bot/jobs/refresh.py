"""A posted message brought up to date: a job's message is a pure function of the stored
facts, rebuilt rather than patched, so any later change (a click, a typed `revoke`, a
poll, a restart) updates it the same way and to the same text."""

from __future__ import annotations

import logging

from invite_bot.jobs.kinds import JobKinds
from invite_bot.jobs.rows import job_rows
from invite_bot.slack.blockkit import Message
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted
from invite_bot.store import InviteJob, Store

log = logging.getLogger(__name__)


class Messages:
    """The messages the bot posted for jobs (and those features own), re-rendered."""

    def __init__(self, store: Store, outbound: Outbound, kinds: JobKinds) -> None:
        self._store, self._outbound, self._kinds = store, outbound, kinds

    async def render_job(self, job: InviteJob) -> Message:
        """The job's message as it stands, as its kind renders it (its closing form once
        the job is closed: every address has its outcome)."""
        rows = await job_rows(self._store, job)
        closed = job.closed_at is not None or job.finished_at is not None
        return await self._kinds.of(job).render(job, rows, closed)

    async def refresh(self, channel_id: str, message_ts: str) -> bool:
        """Re-render the message at (channel, ts) from the store; False if unknown.

        A message a feature owns (a notification or reminder the watcher posted, where a
        re-invite made it show a new invitation) is rendered by that feature; any other is
        the message of the job posted there."""
        message = await self._kinds.owned(channel_id, message_ts)
        if message is None:
            job = await self._store.read(lambda tx: tx.jobs.for_message(channel_id, message_ts))
            if job is None:
                return False
            message = await self.render_job(job)
        failure = await self._outbound.update(Posted(channel_id, message_ts), message)
        if failure is not None:
            log.warning("could not update result message: %s", failure.error)
            return False
        return True

    async def refresh_invitation(self, invitation_id: str) -> bool:
        """Update the message that shows this invitation, if the bot posted one."""
        known = await self._store.read(lambda tx: tx.invitations.get(invitation_id))
        if known is None or not known.channel_id or not known.message_ts:
            return False
        return await self.refresh(known.channel_id, known.message_ts)
