"""Who runs a stored job: the process holding its lease, renewed while it works.

A job belongs to the process running it for `Bot.job_lease`, renewed every third of that
in a background task (off the job's own path, so a slow renewal never delays its work).
When the owner dies the renewals stop, and another process (or the restarted one) takes
the job over once the lease has run out. What a job *does* is its kind's business
(`invite_bot.jobs.engine` for invites): this module only runs it, once at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from invite_bot.bot import Bot
from invite_bot.store import InviteJob, Tx

log = logging.getLogger(__name__)

RESUME_WINDOW = timedelta(days=1)  # a job still unfinished after this is given up
Run = Callable[[Bot, InviteJob], Awaitable[object]]  # runs a job this process holds


@contextlib.asynccontextmanager
async def holding(bot: Bot, job_id: int) -> AsyncIterator[None]:
    """Inside: the job is this process's, its lease renewed in the background. Should
    another process take it over anyway (this one stalled past the lease), the task inside
    is cancelled: the new owner finishes the job and posts its message, once."""
    bot.jobs_here.add(job_id)
    worker = asyncio.current_task()
    assert worker is not None
    heartbeat = bot.spawn(_keep_lease(bot, job_id, worker))
    try:
        yield
    finally:
        heartbeat.cancel()
        bot.jobs_here.discard(job_id)


async def _keep_lease(bot: Bot, job_id: int, worker: asyncio.Task[Any]) -> None:
    interval = bot.job_lease.total_seconds() / 3
    while True:
        await asyncio.sleep(interval)
        try:
            renewed, job = await bot.store.write(lambda tx: _renew(tx, bot, job_id))
            if not renewed:
                if job is None or job.finished_at is not None:
                    return  # it is done (its last steps, say a report, still run here)
                log.warning("job %s: another process took it over; stopping", job_id)
                bot.metrics.invite_job_finished("handed_over")
                worker.cancel()
                return
        except Exception as exc:
            log.warning("job %s: lease not renewed (%s)", job_id, type(exc).__name__)


def _renew(tx: Tx, bot: Bot, job_id: int) -> tuple[bool, InviteJob | None]:
    """Extend this process's lease on the job and its claims; (False, the job as it is)
    when the lease was lost (the job finished, or another process took it over)."""
    if not tx.jobs.claim(job_id, bot.instance, bot.job_lease):
        return False, tx.jobs.get(job_id)
    tx.claims.renew(job_id, owner=bot.instance, lease=bot.job_lease)
    return True, None


async def _claim(bot: Bot, job_id: int) -> InviteJob | None:
    """Claim the job for this process; the job as claimed, or None while another's runs."""
    return await bot.store.write(lambda tx: _claimed(tx, bot, job_id))


async def _give_up(bot: Bot, job_id: int) -> None:
    await bot.store.write(lambda tx: tx.jobs.finish(job_id))


def _claimed(tx: Tx, bot: Bot, job_id: int) -> InviteJob | None:
    """The job, as this process claimed it now; None while another's lease runs."""
    return tx.jobs.get(job_id) if tx.jobs.claim(job_id, bot.instance, bot.job_lease) else None


async def resume(bot: Bot, run: Run) -> int:
    """Run the jobs a crashed process left open; returns how many ran now.

    A job whose owner's lease still runs is watched in the background and taken over as
    soon as that lease runs out without a renewal (its owner died).
    """
    resumed = 0
    now = datetime.now(UTC)
    for job in await bot.store.read(lambda tx: tx.jobs.unfinished()):
        if job.id in bot.jobs_here:
            continue  # running here, or already watched
        if job.created_at < now - RESUME_WINDOW:
            log.error("giving up job %s: unfinished for over %s", job.id, RESUME_WINDOW)
            await _give_up(bot, job.id)
            continue
        if job.owner == bot.instance and _lease_runs(job, now):
            continue  # this process is still starting it
        if claimed := await _claim(bot, job.id):
            job = claimed
            log.info("resuming job %s (%d open addresses)", job.id, len(job.pending_emails))
            await run(bot, job)
            resumed += 1
        else:
            bot.jobs_here.add(job.id)
            bot.spawn(_take_over_when_free(bot, job.id, run))
    return resumed


def _lease_runs(job: InviteJob, now: datetime) -> bool:
    return job.lease_expires is not None and job.lease_expires > now


async def _take_over_when_free(bot: Bot, job_id: int, run: Run) -> None:
    """Wait out another process's lease on a job; run the job if the lease lapses."""
    try:
        while True:
            job = await bot.store.read(lambda tx: tx.jobs.get(job_id))
            if job is None or job.finished_at is not None:
                return
            now = datetime.now(UTC)
            expires = job.lease_expires or now
            wait = max((expires - now).total_seconds(), 0.0) + 0.05
            await asyncio.sleep(min(wait, bot.job_lease.total_seconds()))
            job = await _claim(bot, job_id)
            if job is not None:
                log.info("taking over job %s (%d open)", job_id, len(job.pending_emails))
                await run(bot, job)
                return
    except Exception:
        log.exception("taking over job %s failed; it is tried again later", job_id)
    finally:
        bot.jobs_here.discard(job_id)
