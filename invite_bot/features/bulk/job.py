"""The bulk job kind: its progress message, updated at most every 2 s, and its report.

Registered as the job kind "bulk" (`app.py`), so a resumed job
(after a crash or restart) gets the same hooks: `render` draws the message from the job's
rows (the progress while it runs; the counts by outcome at the end), `after_chunk` updates
it when `UPDATE_INTERVAL` has passed since the last update (within Slack's `chat.update`
limits), and `after_finish` uploads the report, a CSV of every address, into the
message's thread (`files_upload_v2`: `files.getUploadURLExternal`, the upload,
`files.completeUploadExternal`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from invite_bot.domain.bulk_progress import (
    ReportRow,
    Tally,
    Throttle,
    report_csv,
    seconds_left,
    summary_line,
)
from invite_bot.domain.records import InviteRow
from invite_bot.features.bulk.blocks import progress_message
from invite_bot.jobs.kinds import JobKind
from invite_bot.slack.blockkit import Message
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.outbound import Outbound, Posted
from invite_bot.store import InviteJob, Store

log = logging.getLogger(__name__)

OPEN = "working"


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


def tally_of(rows: Sequence[InviteRow]) -> Tally:
    return Tally.of(outcome_of(row) for row in rows)


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
        self._paces: dict[int, _Pace] = {}

    @property
    def kind(self) -> JobKind:
        return JobKind(
            render=self.render,
            after_chunk=self.after_chunk,
            after_finish=self.after_finish,
            wait_when_busy=True,
        )

    async def render(self, job: InviteJob, rows: list[InviteRow], finished: bool) -> Message:
        """The progress message for `rows`; at the end, the closing message (after waiting out
        the update interval, so even the last update keeps the pace)."""
        tally = tally_of(rows)
        pace = _pace(self._paces, job, tally)
        job_id = job.id
        cancelled = await self.store.read(lambda tx: tx.jobs.cancelled(job_id))
        if finished:
            await asyncio.sleep(pace.throttle.wait(time.monotonic()))
            pace.throttle.due(time.monotonic())
            fresh = await self.store.read(lambda tx: tx.jobs.get(job_id))
            if fresh is not None:
                tally = Tally.of(item.outcome for item in fresh.items)
        return progress_message(
            tally,
            inviter_id=job.slack_user_id,
            job_id=job.id,
            left=_left(pace, tally),
            finished=finished,
            cancelled=cancelled,
        )

    async def after_chunk(self, job: InviteJob, rows: list[InviteRow]) -> None:
        """Update the progress message, if the last update is `UPDATE_INTERVAL` old."""
        if not (job.message_channel_id and job.message_ts):
            return
        pace = _pace(self._paces, job, tally_of(rows))
        if not pace.throttle.due(time.monotonic()):
            return
        message = await self.render(job, rows, False)
        failure = await self.outbound.update(
            Posted(job.message_channel_id, job.message_ts), message
        )
        if failure is not None:
            log.info("bulk job %s: progress not shown (%s)", job.id, failure.error)

    def may_update_now(self, job_id: int) -> bool:
        """For an update outside the job (the Cancel click): whether the pace allows it now."""
        pace = self._paces.get(job_id)
        return pace is None or pace.throttle.due(time.monotonic())

    async def after_finish(
        self, job: InviteJob, rows: list[InviteRow], posted: Posted | None
    ) -> None:
        """Upload the report into the message's thread (or the inviter's DM)."""
        self._paces.pop(job.id, None)
        job_id = job.id
        fresh = await self.store.read(lambda tx: tx.jobs.get(job_id))
        if fresh is None:
            return
        report = report_csv(
            [
                ReportRow(
                    address=item.email,
                    role=fresh.role_of(item),
                    outcome=item.outcome or "open",
                    invitation_id=item.invitation_id or "",
                    error=item.error or "",
                )
                for item in fresh.items
            ]
        )
        tally = Tally.of(item.outcome for item in fresh.items)
        where: str | SlackFailure = posted.channel if posted else job.slack_user_id
        if posted is None:
            where = await self.outbound.conversation_with(job.slack_user_id)
        failure = (
            where
            if isinstance(where, SlackFailure)
            else await self.outbound.upload(
                where,
                report,
                thread_ts=posted.ts if posted else None,
                filename=f"bulk-invite-{job.id}.csv",
                title=f"Bulk invite {job.id}: {summary_line(tally)}",
                comment=f"The report of this bulk invite: {summary_line(tally)}.",
            )
        )
        if failure is not None:
            log.warning("bulk job %s: report not uploaded (%s)", job.id, failure.error)
