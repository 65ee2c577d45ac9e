"""The bulk job kind: its one progress message, posted (with Cancel) before anything is
sent, updated at most every 2 s, and closed with the counts and its report.

Registered as the job kind "bulk" (`app.py`), so a resumed job (after a crash or restart)
gets the same hooks: `open` posts the progress message (looked for first on a resumed
run) and records where it is; `render` draws the message from the job's rows (the
progress while it runs; the counts by outcome and what became of the report at the end);
`after_chunk` updates it when `UPDATE_INTERVAL` has passed since the last update (within
Slack's `chat.update` limits), between chunks and every `tick` within one; and
`after_finish` uploads the report into the message's thread (`report.py`) and shows what
became of it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from invite_bot.domain.bulk_progress import UPDATE_INTERVAL, Tally, Throttle, seconds_left
from invite_bot.domain.records import InviteRow
from invite_bot.features.bulk.blocks import REPORT_RETRY, progress_message
from invite_bot.features.bulk.notes import tell
from invite_bot.features.bulk.report import Reports, settled
from invite_bot.jobs.engine import message_key
from invite_bot.jobs.kinds import JobKind
from invite_bot.jobs.rows import job_rows
from invite_bot.slack.blockkit import Message, note
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted
from invite_bot.store import InviteJob, Store

log = logging.getLogger(__name__)

OPEN = "working"
NOT_STARTED = ":warning: The bulk invite did not start: Slack would not take its message."


@dataclass
class _Pace:
    """This process's view of one running job: when it started here, and its updates."""

    started: float
    done_at_start: int
    throttle: Throttle = field(default_factory=Throttle)


def outcome_of(row: InviteRow) -> str | None:
    """A row of the job's message as the outcome it stands for (None: still open)."""
    if row.status == OPEN:
        return None
    if row.status in ("failed", "member", "unsure", "cancelled"):
        return row.status
    if row.invitation_id:
        return "existing" if row.existing else "created"
    return "failed"


def tally_of(rows: Sequence[InviteRow], job: InviteJob) -> Tally:
    return Tally.of((outcome_of(row) for row in rows), skipped=len(job.skipped))


def _pace(paces: dict[int, _Pace], job: InviteJob, tally: Tally) -> _Pace:
    found = paces.get(job.id)
    if found is None:
        now = time.monotonic()
        found = _Pace(started=now, done_at_start=tally.done)
        if job.message_ts:
            # The message was posted (or last shown) at its ts: count from there.
            try:
                since_post = max(0.0, time.time() - float(job.message_ts))
            except ValueError:
                since_post = 0.0
            found.throttle.due(now - since_post)
        paces[job.id] = found
    return found


def _left(pace: _Pace, tally: Tally) -> float | None:
    done_here = tally.done - pace.done_at_start
    return seconds_left(done_here, done_here + tally.open, time.monotonic() - pace.started)


class BulkKind:
    """The job kind "bulk": how a bulk invite shows its progress and ends with its report.
    Keeps this process's view of each job it runs (when it started here, its updates)."""

    def __init__(self, store: Store, outbound: Outbound) -> None:
        self.store, self.outbound = store, outbound
        self.reports = Reports(store, outbound)
        self._paces: dict[int, _Pace] = {}

    @property
    def kind(self) -> JobKind:
        return JobKind(
            render=self.render,
            after_chunk=self.after_chunk,
            tick=UPDATE_INTERVAL,
            after_finish=self.after_finish,
            wait_when_busy=True,
            open=self.open,
        )

    async def open(self, job: InviteJob, resumed: bool) -> InviteJob | None:
        """Post the progress message (Cancel on it from the start) in the asker's channel,
        else in their DM, and record where it is; None (the asker told) when Slack took
        it nowhere. A resumed job's is looked for first: the run before may have posted it."""
        rows = [InviteRow(email=item.email, status=OPEN, role="") for item in job.items]
        posted = await self._post(job, await self.render(job, rows, False), resumed=resumed)
        if posted is None:
            await tell(self.outbound, job.channel_id, job.slack_user_id, note(NOT_STARTED))
            return None
        _pace(self._paces, job, tally_of(rows, job)).throttle.due(time.monotonic())
        job_id = job.id
        await self.store.write(
            lambda tx: tx.jobs.set_message(job_id, channel_id=posted.channel, message_ts=posted.ts)
        )
        return dataclasses.replace(job, message_channel_id=posted.channel, message_ts=posted.ts)

    async def _post(self, job: InviteJob, message: Message, *, resumed: bool) -> Posted | None:
        for channel in dict.fromkeys([job.channel_id, job.slack_user_id]):
            posted = await self.outbound.post(
                channel, message, keys=[message_key(job)], since=job.created_at, look_first=resumed
            )
            if isinstance(posted, Posted):
                return posted
            log.warning("bulk progress message not posted in %s: %s", channel, posted.error)
            if not posted.cannot_post_here:
                break
        return None

    async def render(self, job: InviteJob, rows: list[InviteRow], finished: bool) -> Message:
        """The progress message for `rows`; at the end, the closing message, once the update
        interval has passed since the last update (so even the last one keeps the pace; it
        counts as sent when this returns: its caller sends it at once)."""
        tally = tally_of(rows, job)
        pace = _pace(self._paces, job, tally)
        job_id = job.id
        if not finished:
            cancelled = await self.store.read(lambda tx: tx.jobs.cancelled(job_id))
            return progress_message(
                tally,
                inviter_id=job.slack_user_id,
                job_id=job.id,
                left=_left(pace, tally),
                cancelled=cancelled,
            )
        fresh = await self.store.read(lambda tx: tx.jobs.get(job_id)) or job
        tally = Tally.of((item.outcome for item in fresh.items), skipped=len(fresh.skipped))
        closing = progress_message(
            tally,
            inviter_id=job.slack_user_id,
            job_id=job.id,
            left=None,
            finished=True,
            # Said only of a job that stopped: a Cancel that came as the last address was
            # sent left nothing undone.
            cancelled=fresh.cancelled_at is not None and tally.cancelled > 0,
            report=fresh.report,
        )
        await asyncio.sleep(pace.throttle.wait(time.monotonic()))
        pace.throttle.sent(time.monotonic())
        return closing

    async def after_chunk(self, job: InviteJob, rows: list[InviteRow]) -> None:
        """Update the progress message, if the last update is `UPDATE_INTERVAL` old."""
        if not (job.message_channel_id and job.message_ts):
            return
        pace = _pace(self._paces, job, tally_of(rows, job))
        if not pace.throttle.due(time.monotonic()):
            return
        message = await self.render(job, rows, False)
        failure = await self.outbound.update(
            Posted(job.message_channel_id, job.message_ts), message
        )
        pace.throttle.sent(time.monotonic())  # the next one counts from Slack's answer
        if failure is not None:
            log.info("bulk job %s: progress not shown (%s)", job.id, failure.error)

    async def show_now(self, job: InviteJob, where: Posted) -> None:
        """For an update outside the job (the Cancel click): the progress message as it
        stands, if the pace allows an update now."""
        pace = self._paces.get(job.id)
        if pace is not None and not pace.throttle.due(time.monotonic()):
            return
        message = await self.render(job, await job_rows(self.store, job), False)
        await self.outbound.update(where, message)
        if pace is not None:
            pace.throttle.sent(time.monotonic())

    async def after_finish(
        self, job: InviteJob, rows: list[InviteRow], posted: Posted | None
    ) -> bool:
        """Upload the report into the message's thread (or the inviter's DM), then show
        what became of it; False while it is to be tried again (the job stays open)."""
        job_id = job.id
        pace = self._paces.get(job_id)
        if pace is not None:
            pace.throttle.sent(time.monotonic())  # the closing message was just answered
        fresh = await self.store.read(lambda tx: tx.jobs.get(job_id))
        if fresh is None:
            return True
        if not settled(fresh.report):
            state = await self.reports.upload(fresh, posted)
            if posted is not None and state != fresh.report:
                shown = await self.render(fresh, rows, True)
                failure = await self.outbound.update(posted, shown)
                if failure is not None:
                    log.info("bulk job %s: the report's line not shown (%s)", job_id, failure.error)
            if state.startswith(REPORT_RETRY):
                return False
        self._paces.pop(job.id, None)
        return True
