"""Running an invite: one Gencove create per address, then ONE result message.

The job is stored before the first Gencove call and each address's outcome as soon as it
is known, so a bot killed mid-way resumes the job on restart (`resume_jobs`): addresses
already done are not sent again, an address whose create may have taken effect is looked
up in the pending list first, and the result message still ends up showing every address.

A job belongs to the process running it for `Bot.job_lease`, renewed every third of that
while it works; when the owner dies the renewals stop and another process (or the restarted
one) takes the job over once the lease has run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

from invite_bot.core.addresses import AddressParse, parse_addresses
from invite_bot.core.policy import Refused, check_addresses, check_rate
from invite_bot.core.text import escape_mrkdwn
from invite_bot.core.transitions import transition
from invite_bot.gencove import GencoveError, GencoveValidationError, Invitation
from invite_bot.known import known_invitation
from invite_bot.settings import Settings
from invite_bot.slack.blocks import Message, with_note
from invite_bot.slack.context import Bot
from invite_bot.slack.results import render_job
from invite_bot.store import InviteJob, KnownInvitation, NewInviteJob

log = logging.getLogger(__name__)

CANNOT_POST = ("not_in_channel", "channel_not_found", "is_archived", "restricted_action")
RESUME_WINDOW = timedelta(days=1)  # a job still unfinished after this is given up
CLAIM_WAIT = timedelta(minutes=5)  # for an address another invite job is working on
CLAIM_POLL = 0.05  # seconds between looks at a claim another job holds
STILL_INVITING = (
    "Another invite of this address was still running, so none was sent from here. "
    "Check `/gencove list` in a minute."
)
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, TimeoutError)


def read_addresses(settings: Settings, text: str) -> tuple[AddressParse, Refused | None]:
    """The addresses typed (in the command or the modal) and, if any is wrong, why."""
    parsed = parse_addresses(
        text, max_count=settings.invite_max_per_command, allowed_domains=settings.allowed_domains
    )
    refusal = check_addresses(
        parsed,
        max_count=settings.invite_max_per_command,
        allowed_domains=settings.allowed_domains,
    )
    return parsed, refusal


async def invite_if_allowed(
    bot: Bot, job: NewInviteJob, *, tell: Callable[[str], Awaitable[object]]
) -> None:
    """Check the inviter and their rate limit, then invite; a refusal goes to `tell`."""
    user_id, count = job.slack_user_id, len(job.addresses)
    decision = await bot.inviters.check(user_id)
    if isinstance(decision, Refused):
        await tell(decision.message)
        return
    allowance = bot.limiter.allow(user_id, count, time.monotonic())
    limited = check_rate(allowance, rate=bot.limiter.rate, requested=count)
    if limited is not None:
        await tell(limited.message)
        return
    await start_invite(bot, job)


async def start_invite(bot: Bot, new_job: NewInviteJob) -> InviteJob:
    """Store the job (claimed by this process), then run it."""
    job_id = await bot.store.jobs.create(new_job, owner=bot.instance, lease=bot.job_lease)
    job = await bot.store.jobs.get(job_id)
    assert job is not None
    if job.finished_at is not None or job.owner != bot.instance or job.id in bot.jobs_here:
        return job  # a redelivery of a command another process (or task) is running or ran
    return await run_job(bot, job, resumed=False)


async def run_job(bot: Bot, job: InviteJob, *, resumed: bool) -> InviteJob:
    """Invite every address still open in `job`, then post or update its message.

    The caller holds the job's lease; it is renewed here until the job is finished. A job
    whose result reached nobody (Slack refused the message and the note) stays unfinished,
    so `resume_jobs` tries to deliver it again later.
    """
    bot.jobs_here.add(job.id)
    worker = asyncio.current_task()
    assert worker is not None
    heartbeat = bot.spawn(_keep_lease(bot, job.id, worker))
    try:
        open_items = [item.email for item in job.items if item.outcome is None]
        # The duplicate guard: no other job may invite these addresses until this one has
        # recorded them; then Gencove's pending list, read once with the claims held, says
        # which already have an invitation (from another job, or made outside Slack).
        await _claim(bot, job, open_items)
        pending = await _pending_by_email(bot) if open_items else None
        # The channel the job posts in gets the result message, not a notification too.
        announce_in = await bot.notification_channels(besides=job.channel_id)
        # A task group: if one address fails unexpectedly (say, the database), the others
        # stop too and the job is left to be resumed, rather than running on unowned.
        async with asyncio.TaskGroup() as group:
            for email in open_items:
                group.create_task(
                    _invite_one(
                        bot,
                        job,
                        email,
                        maybe_sent=resumed,
                        announce_in=announce_in,
                        pending=pending,
                    )
                )
        job = await bot.store.jobs.get(job.id) or job
        message = await render_job(bot, job)
        if job.message_ts and job.message_channel_id:
            delivered = await _update(bot, job, message)
        else:
            delivered = await _post(bot, job, message)
        if delivered:
            await bot.store.jobs.finish(job.id)
        return job
    finally:
        heartbeat.cancel()
        bot.jobs_here.discard(job.id)
        with contextlib.suppress(Exception):  # unreleased claims lapse with the lease anyway
            await bot.store.claims.release(job.id, [item.email for item in job.items])


async def _claim(bot: Bot, job: InviteJob, emails: Sequence[str]) -> None:
    """Claim every address, waiting for the ones another job holds until it lets them go.

    An address still held after CLAIM_WAIT is left unclaimed: its invite is then recorded
    as failed ("another invite of it is still running"), never made a second time.
    """
    deadline = time.monotonic() + CLAIM_WAIT.total_seconds()
    wanted = set(emails)
    while True:
        wanted -= await bot.store.claims.take(
            job.id, wanted, owner=bot.instance, lease=bot.job_lease
        )
        # Wait with reads (cheap, concurrent) until one of the claims is let go or lapses.
        while wanted and time.monotonic() < deadline:
            if await bot.store.claims.held_by_others(job.id, wanted) != wanted:
                break
            await asyncio.sleep(CLAIM_POLL)
        if not wanted or time.monotonic() >= deadline:
            break
    for email in sorted(wanted):
        log.warning("invite job %s: %s is still being invited by another job", job.id, email)
        await _record_failure(bot, job, email, STILL_INVITING)


async def _keep_lease(bot: Bot, job_id: int, worker: asyncio.Task[Any]) -> None:
    """Renew the job's lease while it runs, so no other process takes it over.

    If another process took it over anyway (this one stalled past the lease), this one
    stops: the new owner finishes the job and posts its message, once.
    """
    interval = bot.job_lease.total_seconds() / 3
    while True:
        await asyncio.sleep(interval)
        try:
            if not await bot.store.jobs.claim(job_id, bot.instance, bot.job_lease):
                log.warning("invite job %s: another process took it over; stopping", job_id)
                worker.cancel()
                return
            await bot.store.claims.renew(job_id, owner=bot.instance, lease=bot.job_lease)
        except Exception as exc:
            log.warning("invite job %s: lease not renewed (%s)", job_id, type(exc).__name__)


async def _pending_by_email(bot: Bot) -> Mapping[str, Invitation] | None:
    """Gencove's pending invitations by address, read once for a resumed job (None: unknown)."""
    found: dict[str, Invitation] = {}
    try:
        async for invitation in bot.gencove.iter_invitations("pending"):
            found.setdefault((invitation.email or "").lower(), invitation)
    except GencoveError as exc:
        log.info("pending list unavailable (%s); asking per address", exc.message)
        return None
    return found


async def _invite_one(
    bot: Bot,
    job: InviteJob,
    email: str,
    *,
    maybe_sent: bool,
    announce_in: Sequence[str],
    pending: Mapping[str, Invitation] | None = None,
) -> None:
    role = job.role or ""
    as_linked = False
    try:
        existing = await _already_pending(bot, email, ask_gencove=maybe_sent, pending=pending)
        if existing is not None:
            invitation: Invitation | KnownInvitation = existing
            outcome = "existing"
        else:
            try:
                invitation, as_linked = await bot.as_actor(
                    job.slack_user_id,
                    lambda credentials: bot.gencove.create_invitation(
                        email, role, credentials=credentials
                    ),
                )
                outcome = "created"
            except GencoveValidationError as exc:
                # Gencove refuses a second pending invitation: show the one that exists.
                found = await bot.gencove.find_pending(email)
                if found is None:
                    raise
                log.info("create refused (%s); showing the pending invitation", exc.message)
                invitation, outcome = found, "existing"
    except GencoveError as exc:
        await _record_failure(bot, job, email, exc.message)
        return
    await _remember(
        bot, job, email, invitation, outcome=outcome, as_linked=as_linked, announce_in=announce_in
    )


async def _record_failure(bot: Bot, job: InviteJob, email: str, error: str) -> None:
    async with bot.store.unit_of_work() as work:
        await work.jobs.record_item(
            job.id, email, outcome="failed", invitation_id=None, error=error
        )
        await work.audit.add(
            actor_slack_id=job.slack_user_id,
            action="invite_failed",
            email=email,
            channel_id=job.channel_id,
            detail={"error": error},
        )
        await work.claims.release(job.id, [email])


async def _already_pending(
    bot: Bot,
    email: str,
    *,
    ask_gencove: bool,
    pending: Mapping[str, Invitation] | None = None,
) -> Invitation | KnownInvitation | None:
    """The pending invitation for `email`, as Gencove has it.

    Gencove is asked only when there is reason to think one exists: the store remembers
    one (it may have been revoked or accepted since), or a crash may have left one.
    """
    if pending is not None:
        return pending.get(email.lower())
    known = await bot.store.invitations.by_email(email, status="pending")
    now = datetime.now(UTC)
    remembered = any(k.expires is None or k.expires > now for k in known)
    if not (remembered or ask_gencove):
        return None
    return await bot.gencove.find_pending(email)


async def _remember(
    bot: Bot,
    job: InviteJob,
    email: str,
    invitation: Invitation | KnownInvitation,
    *,
    outcome: str,
    as_linked: bool,
    announce_in: Sequence[str],
) -> None:
    """Record one address's outcome: the invitation, the job item, the audit entry and the
    announcement to subscribed channels land together or not at all."""
    now = datetime.now(UTC)
    created = outcome == "created" and isinstance(invitation, Invitation)
    async with bot.store.unit_of_work() as work:
        if isinstance(invitation, Invitation):
            await work.invitations.record(
                [
                    known_invitation(
                        invitation,
                        email=email,
                        inviter_slack_id=job.slack_user_id if created else None,
                        now=now,
                    )
                ]
            )
        await work.jobs.record_item(
            job.id,
            email,
            outcome="created" if created else "existing",
            invitation_id=invitation.id,
            error=None,
        )
        # The next job to claim this address finds this invitation in Gencove's list.
        await work.claims.release(job.id, [email])
        await work.audit.add(
            actor_slack_id=job.slack_user_id,
            action="invite" if created else "invite_existing",
            invitation_id=invitation.id,
            email=email,
            channel_id=job.channel_id,
            detail={
                "role": invitation.role,
                "as": "linked key" if created and as_linked else "organization key",
            },
        )
        if created and announce_in:
            # Subscribed channels hear of invitations made from Slack too.
            assert isinstance(invitation, Invitation)
            announced = transition(
                invitation, old=None, new="pending", actor=None, at=now, email=email
            )
            await work.transitions.apply([announced], notify_channels=announce_in)


async def _post(bot: Bot, job: InviteJob, message: Message) -> bool:
    """Post the result message; True once it (or a note with it) reached someone."""
    try:
        response = await bot.slack.chat_postMessage(
            channel=job.channel_id, text=message.text, blocks=message.blocks, unfurl_links=False
        )
    except SLACK_FAILURES as exc:
        error = _slack_error(exc)
        # Where the bot is not in the conversation, Slack's response_url still reaches it.
        if (
            error in CANNOT_POST
            and job.response_url
            and await bot.slack_respond(
                job.response_url, message, response_type="in_channel", replace_original=False
            )
        ):
            return True
        log.error("could not post the result message of invite job %s: %s", job.id, error)
        note = (
            f":warning: Slack did not take the result message for <#{job.channel_id}> "
            f"({escape_mrkdwn(error)}), so here it is, visible only to you."
        )
        return await _tell_inviter(bot, job, with_note(message, note))
    ts = str(response["ts"])
    channel = str(response.get("channel") or job.channel_id)
    # Invitations that already existed keep the message that first showed them, if any.
    existing = [i.invitation_id for i in job.items if i.outcome == "existing" and i.invitation_id]
    shown = await bot.store.invitations.get_many(existing) if existing else []
    unplaced = {invitation.id for invitation in shown if not invitation.message_ts}
    async with bot.store.unit_of_work() as work:
        await work.jobs.set_message(job.id, channel_id=channel, message_ts=ts)
        for item in job.items:
            # This message shows the invitations it made, and those no other message shows.
            if item.invitation_id and (item.outcome == "created" or item.invitation_id in unplaced):
                await work.invitations.set_message(
                    item.invitation_id,
                    channel_id=channel,
                    message_ts=ts,
                    block_id=f"inv:{item.invitation_id}",
                )
    return True


async def _update(bot: Bot, job: InviteJob, message: Message) -> bool:
    """Bring a resumed job's message up to date; True once it (or a note) reached someone."""
    assert job.message_channel_id
    assert job.message_ts
    try:
        await bot.slack.chat_update(
            channel=job.message_channel_id,
            ts=job.message_ts,
            text=message.text,
            blocks=message.blocks,
        )
    except SLACK_FAILURES as exc:
        error = _slack_error(exc)
        log.error("could not update the result message of invite job %s: %s", job.id, error)
        note = (
            f":warning: Slack did not take the update of the result message in "
            f"<#{job.message_channel_id}> ({escape_mrkdwn(error)}); this is where it stands."
        )
        return await _tell_inviter(bot, job, with_note(message, note))
    return True


async def _tell_inviter(bot: Bot, job: InviteJob, message: Message) -> bool:
    """A copy of the result for the inviter alone: response_url, postEphemeral, else a DM."""
    if job.response_url and await bot.slack_respond(
        job.response_url, message, response_type="ephemeral", replace_original=False
    ):
        return True
    # A modal invite from a channel the bot is not in ends in a direct message.
    return await bot.tell_privately(job.channel_id, job.slack_user_id, message)


def _slack_error(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "unknown_error")
    return type(exc).__name__


async def resume_jobs(bot: Bot) -> int:
    """Finish the invite jobs a crashed process left open; returns how many ran now.

    A job whose owner's lease still runs is watched in the background and taken over as
    soon as that lease runs out without a renewal (its owner died).
    """
    resumed = 0
    now = datetime.now(UTC)
    for job in await bot.store.jobs.unfinished():
        if job.id in bot.jobs_here:
            continue  # running here, or already watched
        if job.created_at < now - RESUME_WINDOW:
            log.error("giving up invite job %s: unfinished for over %s", job.id, RESUME_WINDOW)
            await bot.store.jobs.finish(job.id)
            continue
        if job.owner == bot.instance and _lease_runs(job, now):
            continue  # this process is still starting it
        if await bot.store.jobs.claim(job.id, bot.instance, bot.job_lease):
            job = await bot.store.jobs.get(job.id) or job
            log.info("resuming invite job %s (%d open addresses)", job.id, len(job.pending_emails))
            await run_job(bot, job, resumed=True)
            resumed += 1
        else:
            bot.jobs_here.add(job.id)
            bot.spawn(_take_over_when_free(bot, job.id))
    return resumed


def _lease_runs(job: InviteJob, now: datetime) -> bool:
    return job.lease_expires is not None and job.lease_expires > now


async def _take_over_when_free(bot: Bot, job_id: int) -> None:
    """Wait out another process's lease on a job; run the job if the lease lapses."""
    try:
        while True:
            job = await bot.store.jobs.get(job_id)
            if job is None or job.finished_at is not None:
                return
            now = datetime.now(UTC)
            expires = job.lease_expires or now
            wait = max((expires - now).total_seconds(), 0.0) + 0.05
            await asyncio.sleep(min(wait, bot.job_lease.total_seconds()))
            if await bot.store.jobs.claim(job_id, bot.instance, bot.job_lease):
                job = await bot.store.jobs.get(job_id)
                if job is None or job.finished_at is not None:
                    return
                log.info("taking over invite job %s (%d open)", job_id, len(job.pending_emails))
                await run_job(bot, job, resumed=True)
                return
    except Exception:
        log.exception("taking over invite job %s failed; it is tried again later", job_id)
    finally:
        bot.jobs_here.discard(job_id)
