"""A bulk invite's report: a CSV of every address (and of every row skipped as bad),
uploaded into the progress message's thread once the closing message is shown.

Exactly once, whatever fails: the file's name is fixed by the job (`bulk-invite-<job
id>.csv`) before any upload, and every try begins by looking in the thread for a file of
that name (`conversations.replies`), so an upload whose last step landed unanswered (or
in a process killed while it waited) is found, not repeated. What became of it is stored
(`InviteJob.report`): up; refused by Slack ("failed", not tried again); or not up yet
("retry": the job stays unfinished, and its next run, after a restart or by the resume
loop, looks again and uploads it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from invite_bot.domain.bulk_progress import (
    ReportRow,
    Tally,
    report_csv,
    report_title,
    summary_line,
)
from invite_bot.features.bulk.blocks import REPORT_FAILED, REPORT_RETRY, REPORT_UPLOADED
from invite_bot.slack.errors import SlackFailure
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted
from invite_bot.store import InviteJob, Store

log = logging.getLogger(__name__)

SETTLED = (REPORT_UPLOADED, REPORT_FAILED)  # words of a report no run tries again


def report_name(job_id: int) -> str:
    """The report's file name: fixed by the job, so an upload is recognised in its thread."""
    return f"bulk-invite-{job_id}.csv"


def settled(report: str | None) -> bool:
    return report is not None and report.partition(":")[0] in SETTLED


class Reports:
    """Uploads a finished bulk job's report, once (see the module's docstring)."""

    def __init__(self, store: Store, outbound: Outbound) -> None:
        self.store, self.outbound = store, outbound

    async def upload(self, job: InviteJob, posted: Posted | None) -> str:
        """Put the report of `job` (as stored now) where `posted` is, or in the asker's
        DM; returns what became of it (also stored)."""
        channel: str | SlackFailure = posted.channel if posted else job.slack_user_id
        if posted is None:
            channel = await self.outbound.conversation_with(job.slack_user_id)
        thread = posted.ts if posted else None
        state = (
            f"{REPORT_RETRY}:{channel.error}"
            if isinstance(channel, SlackFailure)
            else await self._once(job, channel, thread)
        )
        job_id = job.id
        await self.store.write(lambda tx: tx.jobs.set_report(job_id, state))
        if not state.startswith(REPORT_UPLOADED):
            log.warning("bulk job %s: report not uploaded (%s)", job.id, state)
        return state

    async def _once(self, job: InviteJob, channel: str, thread: str | None) -> str:
        name = report_name(job.id)
        found = await self._find(channel, thread, name, job)
        if isinstance(found, SlackFailure) and found.outcome != "refused":
            return f"{REPORT_RETRY}:{found.error}"  # cannot look now: do not risk a second one
        if found is True:  # (a look Slack refuses, as the post's, finds nothing)
            log.info("bulk job %s: its report was in the thread already", job.id)
            return REPORT_UPLOADED
        tally = Tally.of((item.outcome for item in job.items), skipped=len(job.skipped))
        failure = await self.outbound.uploads.share(
            channel,
            _report(job),
            thread_ts=thread,
            filename=name,
            title=report_title(
                await self.outbound.reading.channel_name(channel), job.created_at, tally
            ),
            comment=f"The report of this bulk invite: {summary_line(tally)}.",
        )
        if failure is None:
            return REPORT_UPLOADED
        if failure.outcome == "refused":
            return f"{REPORT_FAILED}:{failure.error}"
        return f"{REPORT_RETRY}:{failure.error}"  # looked for first, next time

    async def _find(
        self, channel: str, thread: str | None, name: str, job: InviteJob
    ) -> bool | SlackFailure:
        """Whether a file named `name` is in the thread (or the channel's recent history)."""
        if thread is not None:
            found = await self.outbound.reading.thread(channel, thread)
        else:
            found = await self.outbound.reading.history(channel, since=job.created_at)
        if isinstance(found, SlackFailure):
            return found
        return any(_has_file(message, name) for message in found)


def _has_file(message: Any, name: str) -> bool:
    if not isinstance(message, Mapping):
        return False
    files = message.get("files") or []
    return any(isinstance(f, Mapping) and f.get("name") == name for f in files)


def _report(job: InviteJob) -> bytes:
    """The CSV: every address with its outcome, then every row skipped as bad."""
    rows = [
        ReportRow(
            address=item.email,
            role=job.role_of(item),
            outcome=item.outcome or "open",
            invitation_id=item.invitation_id or "",
            error=item.error or "",
        )
        for item in job.items
    ]
    rows += [
        ReportRow(
            address=row.typed,
            role="",
            outcome="skipped",
            error=f"row {row.number}: {row.problem}",
        )
        for row in job.skipped
    ]
    return report_csv(rows)
