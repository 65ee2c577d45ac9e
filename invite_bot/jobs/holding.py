"""Who runs a stored job: the process holding its lease, renewed while it works.

A job belongs to the process running it for `lease`, renewed every third of that in a
background task (off the job's own path, so a slow renewal never delays its work). When
the owner dies the renewals stop, and another process (or the restarted one) takes the job
over once the lease has run out. What a job *does* is the engine's business (`engine.py`):
this module only runs it, once at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from invite_bot.config.metrics import Metrics
from invite_bot.store import InviteJob, Store, Tx

log = logging.getLogger(__name__)

RESUME_WINDOW = timedelta(days=1)  # a job still unfinished after this is given up
Run = Callable[[InviteJob], Awaitable[object]]  # runs a job this process holds


class Holding:
    """The jobs one process runs (or waits to take over), and their leases."""

    def __init__(self, store: Store, metrics: Metrics, *, instance: str, lease: timedelta) -> None:
        self.store, self.metrics = store, metrics
        self.instance = instance  # this process, as a job's owner
        self.lease = lease
        self.running: set[int] = set()  # jobs run here, or waited on to take over
        self.tasks: set[asyncio.Task[Any]] = set()  # lease keepers and take-overs

    def spawn(self, work: Coroutine[Any, Any, object]) -> asyncio.Task[Any]:
        """Run `work` in the background, kept until it ends (for a stop to wait on)."""
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    @contextlib.asynccontextmanager
    async def hold(self, job_id: int) -> AsyncIterator[None]:
        """Inside: the job is this process's, its lease renewed in the background. Should
        another process take it over anyway (this one stalled past the lease), the task
        inside is cancelled: the new owner finishes the job and posts its message, once."""
        self.running.add(job_id)
        worker = asyncio.current_task()
        assert worker is not None
        heartbeat = self.spawn(self._keep_lease(job_id, worker))
        try:
            yield
        finally:
            heartbeat.cancel()
            self.running.discard(job_id)

    async def _keep_lease(self, job_id: int, worker: asyncio.Task[Any]) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                renewed, job = await self.store.write(lambda tx: self._renew(tx, job_id))
                if not renewed:
                    if job is None or job.finished_at is not None:
                        return  # it is done (its last steps, say a report, still run here)
                    log.warning("job %s: another process took it over; stopping", job_id)
                    self.metrics.invite_job_finished("handed_over")
                    worker.cancel()
                    return
            except Exception as exc:
                log.warning("job %s: lease not renewed (%s)", job_id, type(exc).__name__)

    def _renew(self, tx: Tx, job_id: int) -> tuple[bool, InviteJob | None]:
        """Extend this process's lease on the job and its claims; (False, the job as it is)
        when the lease was lost (the job finished, or another process took it over)."""
        if not tx.jobs.claim(job_id, self.instance, self.lease):
            return False, tx.jobs.get(job_id)
        tx.claims.renew(job_id, owner=self.instance, lease=self.lease)
        return True, None

    def claim(self, tx: Tx, job_id: int) -> InviteJob | None:
        """The job, as this process claimed it now; None while another's lease runs."""
        return tx.jobs.get(job_id) if tx.jobs.claim(job_id, self.instance, self.lease) else None

    async def _claimed(self, job_id: int) -> InviteJob | None:
        return await self.store.write(lambda tx: self.claim(tx, job_id))

    async def _give_up(self, job_id: int) -> None:
        await self.store.write(lambda tx: tx.jobs.finish(job_id))

    async def resume(self, run: Run) -> int:
        """Run the jobs a crashed process left open; returns how many ran now.

        A job whose owner's lease still runs is watched in the background and taken over
        as soon as that lease runs out without a renewal (its owner died).
        """
        resumed = 0
        now = datetime.now(UTC)
        for job in await self.store.read(lambda tx: tx.jobs.unfinished()):
            if job.id in self.running:
                continue  # running here, or already watched
            job_id = job.id
            if job.created_at < now - RESUME_WINDOW:
                log.error("giving up job %s: unfinished for over %s", job_id, RESUME_WINDOW)
                await self._give_up(job_id)
                continue
            if job.owner == self.instance and _lease_runs(job, now):
                continue  # this process is still starting it
            if claimed := await self._claimed(job_id):
                log.info("resuming job %s (%d open)", job_id, len(claimed.pending_emails))
                await run(claimed)
                resumed += 1
            else:
                self.running.add(job_id)
                self.spawn(self._take_over_when_free(job_id, run))
        return resumed

    async def _take_over_when_free(self, job_id: int, run: Run) -> None:
        """Wait out another process's lease on a job; run the job if the lease lapses."""
        try:
            while True:
                job = await self.store.read(lambda tx: tx.jobs.get(job_id))
                if job is None or job.finished_at is not None:
                    return
                now = datetime.now(UTC)
                expires = job.lease_expires or now
                wait = max((expires - now).total_seconds(), 0.0) + 0.05
                await asyncio.sleep(min(wait, self.lease.total_seconds()))
                job = await self._claimed(job_id)
                if job is not None:
                    log.info("taking over job %s (%d open)", job_id, len(job.pending_emails))
                    await run(job)
                    return
        except Exception:
            log.exception("taking over job %s failed; it is tried again later", job_id)
        finally:
            self.running.discard(job_id)


def _lease_runs(job: InviteJob, now: datetime) -> bool:
    return job.lease_expires is not None and job.lease_expires > now
