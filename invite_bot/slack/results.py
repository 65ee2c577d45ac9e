"""Result messages: an invite job's message is a pure function of the stored facts.

Because the message is rebuilt from the store (the job's addresses and what is known of each
invitation) rather than patched, any later change — a click, a typed `revoke`, a poll, a
restart — updates it the same way and to the same text.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from invite_bot.slack.blocks import InviteRow, Message, invite_result
from invite_bot.slack.context import Bot
from invite_bot.store import InviteJob

log = logging.getLogger(__name__)


async def job_rows(bot: Bot, job: InviteJob) -> list[InviteRow]:
    ids = [item.invitation_id for item in job.items if item.invitation_id]
    known = {inv.id: inv for inv in await bot.store.invitations.get_many(ids)}
    rows = []
    for item in job.items:
        invitation = known.get(item.invitation_id or "")
        if item.outcome == "failed":
            rows.append(
                InviteRow(email=item.email, status="failed", role=job.role or "", error=item.error)
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
    return rows


async def render_job(bot: Bot, job: InviteJob) -> Message:
    return invite_result(await job_rows(bot, job), inviter_id=job.slack_user_id)


async def refresh_message(bot: Bot, channel_id: str, message_ts: str) -> bool:
    """Re-render the result message at (channel, ts) from the store; False if unknown."""
    job = await bot.store.jobs.for_message(channel_id, message_ts)
    if job is None:
        return False
    message = await render_job(bot, job)
    try:
        await bot.slack.chat_update(
            channel=channel_id, ts=message_ts, text=message.text, blocks=message.blocks
        )
    except SlackApiError as exc:
        log.warning("could not update result message: %s", exc.response.get("error"))
        return False
    return True


async def refresh_invitation_message(bot: Bot, invitation_id: str) -> bool:
    """Update the result message that shows this invitation, if the bot posted one."""
    known = await bot.store.invitations.get(invitation_id)
    if known is None or not known.channel_id or not known.message_ts:
        return False
    return await refresh_message(bot, known.channel_id, known.message_ts)
