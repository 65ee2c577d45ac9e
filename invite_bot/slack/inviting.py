"""Running an invite: one Gencove create per address, then ONE result message.

The job is stored before the first Gencove call and each address's outcome as soon as it
is known, so a bot killed mid-way resumes the job on restart (`resume_jobs`): addresses
already done are not sent again, an address whose create may have taken effect is looked
up in the pending list first, and the result message still ends up showing every address.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError

from invite_bot.gencove import Credentials, GencoveError, GencoveValidationError, Invitation
from invite_bot.slack.blocks import Message
from invite_bot.slack.context import Bot
from invite_bot.slack.results import render_job
from invite_bot.store import InviteJob, KnownInvitation, NewInviteJob, Transition

log = logging.getLogger(__name__)

JOB_LEASE = timedelta(minutes=5)
CANNOT_POST = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")


async def start_invite(
    bot: Bot,
    *,
    user_id: str,
    channel_id: str,
    response_url: str | None,
    addresses: Sequence[str],
    role: str | None,
    delivery_key: str | None,
) -> InviteJob:
    job_id = await bot.store.create_job(
        NewInviteJob(
            slack_user_id=user_id,
            channel_id=channel_id,
            response_url=response_url,
            role=role,
            addresses=list(addresses),
            delivery_key=delivery_key,
        ),
        owner=bot.instance,
        lease=JOB_LEASE,
    )
    job = await bot.store.get_job(job_id)
    assert job is not None
    if job.finished_at is not None or job.owner != bot.instance:
        return job  # a redelivery of a command another process is running or ran
    return await run_job(bot, job, resumed=False)


async def run_job(bot: Bot, job: InviteJob, *, resumed: bool) -> InviteJob:
    """Invite every address still open in `job`, then post or update its message."""
    credentials = await bot.credentials_for(job.slack_user_id)
    open_items = [item.email for item in job.items if item.outcome is None]
    await asyncio.gather(
        *(_invite_one(bot, job, email, credentials, maybe_sent=resumed) for email in open_items)
    )
    job = await bot.store.get_job(job.id) or job
    message = await render_job(bot, job)
    if job.message_ts and job.message_channel_id:
        await _update(bot, job, message)
    else:
        await _post(bot, job, message)
    await bot.store.finish_job(job.id)
    return await bot.store.get_job(job.id) or job


async def _invite_one(
    bot: Bot, job: InviteJob, email: str, credentials: Credentials | None, *, maybe_sent: bool
) -> None:
    role = job.role or ""
    try:
        existing = await _already_pending(bot, email, credentials, ask_gencove=maybe_sent)
        if existing is not None:
            await _remember(bot, job, email, existing, outcome="existing")
            return
        try:
            invitation = await bot.gencove.create_invitation(email, role, credentials=credentials)
            outcome = "created"
        except GencoveValidationError as exc:
            # Gencove refuses a second pending invitation: show the one that exists.
            found = await bot.gencove.find_pending(email, credentials=credentials)
            if found is None:
                raise
            log.info("create refused (%s); showing the pending invitation", exc.message)
            invitation, outcome = found, "existing"
        await _remember(bot, job, email, invitation, outcome=outcome)
        await bot.store.audit(
            actor_slack_id=job.slack_user_id,
            action="invite" if outcome == "created" else "invite_existing",
            invitation_id=invitation.id,
            email=email,
            channel_id=job.channel_id,
            detail={"role": invitation.role},
        )
    except GencoveError as exc:
        await bot.store.record_job_item(
            job.id, email, outcome="failed", invitation_id=None, error=exc.message
        )
        await bot.store.audit(
            actor_slack_id=job.slack_user_id,
            action="invite_failed",
            email=email,
            channel_id=job.channel_id,
            detail={"error": exc.message},
        )


async def _already_pending(
    bot: Bot, email: str, credentials: Credentials | None, *, ask_gencove: bool
) -> Invitation | KnownInvitation | None:
    """The pending invitation for `email`: from the store, or (after a crash) from Gencove."""
    known = await bot.store.invitations_by_email(email, status="pending")
    now = datetime.now(UTC)
    for invitation in known:
        if invitation.expires is None or invitation.expires > now:
            return invitation
    if ask_gencove:
        return await bot.gencove.find_pending(email, credentials=credentials)
    return None


async def _remember(
    bot: Bot,
    job: InviteJob,
    email: str,
    invitation: Invitation | KnownInvitation,
    *,
    outcome: str,
) -> None:
    now = datetime.now(UTC)
    if isinstance(invitation, Invitation):
        await bot.store.upsert_invitations(
            [
                KnownInvitation(
                    id=invitation.id,
                    email=(invitation.email or email).lower(),
                    role=invitation.role,
                    status=invitation.status,
                    expires=invitation.expires,
                    inviter_slack_id=job.slack_user_id if outcome == "created" else None,
                    channel_id=None,
                    message_ts=None,
                    block_id=None,
                    first_seen=now,
                    updated_at=now,
                )
            ]
        )
    await bot.store.record_job_item(
        job.id,
        email,
        outcome="created" if outcome == "created" else "existing",
        invitation_id=invitation.id,
        error=None,
    )
    if outcome == "created" and isinstance(invitation, Invitation):
        # Subscribed channels hear of invitations made from Slack too (not the one it was made in).
        channels = await bot.notification_channels(besides=job.channel_id)
        if channels:
            await bot.store.apply_transitions(
                [
                    Transition(
                        invitation_id=invitation.id,
                        email=(invitation.email or email).lower(),
                        role=invitation.role,
                        old_status=None,
                        new_status="pending",
                        expires=invitation.expires,
                        actor_name=None,
                        at=now,
                    )
                ],
                notify_channels=channels,
            )


async def _post(bot: Bot, job: InviteJob, message: Message) -> None:
    try:
        response = await bot.slack.chat_postMessage(
            channel=job.channel_id, text=message.text, blocks=message.blocks, unfurl_links=False
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        if error in CANNOT_POST and job.response_url:
            # The bot is not in this conversation: Slack's response_url still reaches it.
            await bot.slack_respond(
                job.response_url, message, response_type="in_channel", replace_original=False
            )
            return
        log.error("could not post the result message: %s", error)
        if job.response_url:
            await bot.slack_respond(job.response_url, message, response_type="ephemeral")
        return
    ts = str(response["ts"])
    channel = str(response.get("channel") or job.channel_id)
    await bot.store.set_job_message(job.id, channel_id=channel, message_ts=ts)
    for item in job.items:
        if item.invitation_id and item.outcome == "created":
            await bot.store.set_message(
                item.invitation_id,
                channel_id=channel,
                message_ts=ts,
                block_id=f"inv:{item.invitation_id}",
            )


async def _update(bot: Bot, job: InviteJob, message: Message) -> None:
    assert job.message_channel_id
    assert job.message_ts
    try:
        await bot.slack.chat_update(
            channel=job.message_channel_id,
            ts=job.message_ts,
            text=message.text,
            blocks=message.blocks,
        )
    except SlackApiError as exc:
        log.error("could not update the result message: %s", exc.response.get("error"))


async def resume_jobs(bot: Bot) -> int:
    """Finish the invite jobs a crashed process left open; returns how many."""
    resumed = 0
    for job in await bot.store.unfinished_jobs():
        if job.created_at > datetime.now(UTC) - timedelta(seconds=2) and job.owner == bot.instance:
            continue
        if not await bot.store.claim_job(job.id, bot.instance, JOB_LEASE):
            continue
        log.info("resuming invite job %s (%d open addresses)", job.id, len(job.pending_emails))
        await run_job(bot, job, resumed=True)
        resumed += 1
    return resumed
