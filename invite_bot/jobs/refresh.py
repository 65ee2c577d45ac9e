"""Result messages: an invite job's message is a pure function of the stored facts.

Because the message is rebuilt from the store (the job's addresses and what is known of each
invitation) rather than patched, any later change — a click, a typed `revoke`, a poll, a
restart — updates it the same way and to the same text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from invite_bot.bot import Bot
from invite_bot.features.notify.notices import render_posted, with_reinvites
from invite_bot.features.requests.blocks import request_message
from invite_bot.jobs.kinds import kind_of
from invite_bot.slack.blockkit import Message
from invite_bot.slack.blocks import InviteRow, invite_result
from invite_bot.slack.outbound import Posted
from invite_bot.store import InviteJob

log = logging.getLogger(__name__)


async def job_rows(
    bot: Bot, job: InviteJob, *, known: Mapping[str, InviteRow] | None = None
) -> list[InviteRow]:
    """The job's addresses as its message shows them. `known`: rows just learnt, by
    address (the store is read only for the others, so a fresh job costs no read)."""
    fresh = known or {}
    ids = [
        item.invitation_id for item in job.items if item.invitation_id and item.email not in fresh
    ]
    found = await bot.store.read(lambda tx: tx.invitations.get_many(ids)) if ids else []
    stored = {inv.id: inv for inv in found}
    rows = []
    for item in job.items:
        invitation = stored.get(item.invitation_id or "")
        if item.email in fresh:
            rows.append(fresh[item.email])
        elif item.outcome in ("failed", "member", "unsure"):
            rows.append(
                InviteRow(
                    email=item.email, status=item.outcome, role=job.role or "", error=item.error
                )
            )
        elif item.outcome is None or invitation is None:
            rows.append(InviteRow(email=item.email, status="working", role=job.role or ""))
        else:
            rows.append(
                InviteRow(
                    email=item.email,
                    status=invitation.status,
                    role=invitation.role,
                    invitation_id=invitation.id,
                    expires=invitation.expires,
                    changed_by=invitation.changed_by,
                    existing=item.outcome == "existing",
                )
            )
    # A pending invitation is not re-invited: only a job showing others can have any.
    if all(row.status in ("pending", "failed", "member", "unsure", "working") for row in rows):
        return rows
    return await with_reinvites(bot, rows)


async def render_job(bot: Bot, job: InviteJob, *, notice: bool = True) -> Message:
    """The job's message as it stands (a bulk job's by its own kind's rendering).
    `notice=False`: the caller knows its message is no notice (see `job_message`)."""
    rows = await job_rows(bot, job)
    kind = kind_of(job)
    if kind is not None:
        return await kind.render(bot, job, rows, job.finished_at is not None)
    return await job_message(bot, job, rows, notice=notice)


async def job_message(
    bot: Bot, job: InviteJob, rows: list[InviteRow], *, notice: bool = True
) -> Message:
    """The job's message showing `rows`. An approved invite request shows its job's
    results under the request itself (such a job starts with the request's message)."""
    if job.message_channel_id and job.message_ts:
        # A re-invite clicked on a notification or reminder updates that notice.
        shown = await render_posted(bot, job.message_channel_id, job.message_ts) if notice else None
        if shown is not None:
            return shown
        job_id = job.id
        request = await bot.store.read(lambda tx: tx.requests.for_job(job_id))
        if request is not None:
            return request_message(request, rows=rows, inviter_id=job.slack_user_id)
    return invite_result(rows, inviter_id=job.slack_user_id)


async def refresh_message(bot: Bot, channel_id: str, message_ts: str) -> bool:
    """Re-render the result message at (channel, ts) from the store; False if unknown.

    A notification or reminder the watcher posted there (a re-invite from it made the
    message show a new invitation) is rendered as that notice."""
    message = await render_posted(bot, channel_id, message_ts)
    if message is None:
        job = await bot.store.read(lambda tx: tx.jobs.for_message(channel_id, message_ts))
        if job is None:
            return False
        message = await render_job(bot, job, notice=False)  # looked for one just above
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
