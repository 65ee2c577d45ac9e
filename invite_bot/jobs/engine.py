"""Running an invite job: one Gencove create per address, then ONE message.

The job is stored before the first Gencove call. Its addresses go in chunks: each chunk's
addresses are sent together (within Gencove's limits, `GENCOVE_MAX_CONCURRENCY`), and
their outcomes recorded together in one transaction, with their audit entries, the claims'
release and the announcements. So a bot killed mid-way resumes the job on restart
(`Jobs.resume`): recorded addresses are not sent again, the others are looked up in the
pending list first, and the message still ends up showing every address.

A job's kind says how its message looks and what happens between chunks and at the end
(`kinds.py`, registered by the features): a plain invite posts one result message; a bulk
job posts its progress message (with Cancel) before it sends anything, keeps it up to
date, can be cancelled at any point, and waits when Gencove is busy instead of recording
a failure. One run of a job, its claims in rounds and its chunks, is `run.py`; who runs a
job and for how long (its lease, takeover) is `holding.py`; how a message reaches the
channel (or the inviter, when the channel cannot have it) is `delivery.py`; what Gencove
makes of one address is `steps.py`; what is written to the store is `recording.py`.

Store round trips for a one-address invite: the job stored with its claims (and the
subscribed channels), the outcome, and the message's place with the job's end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence, Set
from datetime import timedelta

from invite_bot.config.metrics import Metrics
from invite_bot.domain.records import InviteRow
from invite_bot.gencove import GencoveClient
from invite_bot.gencove.acting import LinkedKeys
from invite_bot.jobs.delivery import Delivered, Place, deliver, tell_asker
from invite_bot.jobs.holding import Holding
from invite_bot.jobs.job_run import JobRun, made_by
from invite_bot.jobs.kinds import JobKind, JobKinds
from invite_bot.jobs.pending import PendingList
from invite_bot.jobs.recording import place_message, record, store_job
from invite_bot.jobs.refresh import Messages
from invite_bot.jobs.rows import job_rows
from invite_bot.jobs.steps import Outcome, Steps
from invite_bot.slack.blockkit import Message
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.reading import Posted
from invite_bot.store import InviteJob, NewInviteJob, Store, StoreUnavailable

log = logging.getLogger(__name__)

NOT_SHOWN = "Not sent: Slack would not take the job's message, so it did not start."


class Jobs:
    """The invite jobs of one app: started, run, resumed after a crash, and their messages."""

    def __init__(
        self,
        *,
        store: Store,
        gencove: GencoveClient,
        outbound: Outbound,
        metrics: Metrics,
        keys: LinkedKeys,
        kinds: JobKinds,
        instance: str,
        lease: timedelta,
        notify_channel: str | None,
    ) -> None:
        self.store, self.gencove, self.outbound = store, gencove, outbound
        self.metrics, self.keys, self.kinds = metrics, keys, kinds
        self.notify_channel = notify_channel  # told of every invitation, besides subscribers
        self.holding = Holding(store, metrics, instance=instance, lease=lease)
        # Gencove's pending list, one read shared by the invite jobs that start together
        self.pending = PendingList(gencove)
        self.messages = Messages(store, outbound, kinds)

    async def start(self, new_job: NewInviteJob) -> InviteJob:
        """Store the job (owned by this process) with its claims on its addresses, then run
        it; a redelivery of a job stored before returns that job as it stands."""
        holding = self.holding
        running = frozenset(holding.running)
        job, started = await self.store.write(
            lambda tx: store_job(
                tx,
                new_job,
                owner=holding.instance,
                lease=holding.lease,
                running=running,
                notify_channel=self.notify_channel,
            )
        )
        if started is None:
            return job  # another process (or task) is running it or ran it
        claimed, announce_in = started
        return await self.run(job, resumed=False, announce_in=announce_in, claimed=claimed)

    async def resume(self) -> int:
        """Finish the jobs a crashed process left open (see `holding.py`)."""
        return await self.holding.resume(lambda job: self.run(job, resumed=True))

    async def run(
        self,
        job: InviteJob,
        *,
        resumed: bool,
        announce_in: Sequence[str] | None = None,
        claimed: Set[str] = frozenset(),
    ) -> InviteJob:
        """Invite every address still open in `job`, then post or update its message.

        The caller holds the job's lease; it is renewed here until the job is finished. A
        job whose result reached nobody (Slack refused the message and the note) stays
        unfinished, so `resume` tries to deliver it again later. `claimed`: the addresses
        the caller has claimed for the job already.
        """
        kind = self.kinds.of(job)
        async with self.holding.hold(job.id):
            if kind.open is not None and not job.message_ts and job.closed_at is None:
                opened = await kind.open(job, resumed)
                if opened is None:
                    return await self._not_shown(job)
                job = opened
            run = self._new_run(job, kind, resumed=resumed)
            try:
                items = await run.claim(claimed)
                if announce_in is None:
                    announce_in = await self._announce_in(job)
                while await run.send(items, announce_in) and run.waiting:
                    items = await run.next_round(announce_in)
            except BaseException as exc:
                if not isinstance(exc, asyncio.CancelledError):
                    self.metrics.invite_job_finished("failed")
                lost = await run.failed(exc)
                if lost is not None:
                    raise lost from None
                raise
            try:
                await self._show(job, kind, run.done, resumed=resumed)
            except StoreUnavailable as exc:  # the invitations exist; their message may not
                raise exc.after(made_by(run.done)) from exc
            return job

    def _new_run(self, job: InviteJob, kind: JobKind, *, resumed: bool) -> JobRun:
        steps = Steps(
            self.gencove,
            self.store,
            self.keys,
            job,
            maybe_sent=resumed,
            wait_when_busy=kind.wait_when_busy,
        )
        holding = self.holding
        return JobRun(
            self.store,
            steps,
            job,
            kind,
            owner=holding.instance,
            lease=holding.lease,
            read_pending=self.pending.read_after,
        )

    async def _not_shown(self, job: InviteJob) -> InviteJob:
        """A job whose message could not be shown (its kind told the asker): its addresses
        are not sent, and it ends there."""
        log.warning("invite job %s: its message could not be shown; nothing sent", job.id)
        outcomes = [
            Outcome(item.email, "cancelled", job.role_of(item), error=NOT_SHOWN)
            for item in job.items
            if item.outcome is None
        ]
        await record(self.store, job, outcomes, [])
        await self.store.write(lambda tx: tx.jobs.finish(job.id))
        self.metrics.invite_job_finished("undelivered")
        return job

    async def _announce_in(self, job: InviteJob) -> list[str]:
        """The channels told of the job's invitations (not the one it posts in)."""
        return await self.store.read(
            lambda tx: tx.subscriptions.notified(also=self.notify_channel, besides=job.channel_id)
        )

    async def _show(
        self, job: InviteJob, kind: JobKind, done: Mapping[str, InviteRow], *, resumed: bool
    ) -> None:
        """Post (or update) the job's message, record where it is and finish the job.

        The job is closed first: from then on a Cancel is refused ("it has ended"), so the
        closing message it shows is the last word on what was sent."""
        await self.store.write(lambda tx: tx.jobs.close(job.id))
        rows = await job_rows(self.store, job, known=done)
        message = await kind.render(job, rows, True)
        where = (
            Posted(job.message_channel_id, job.message_ts)
            if job.message_channel_id and job.message_ts
            else None
        )
        place = Place(
            channel_id=job.channel_id,
            user_id=job.slack_user_id,
            key=message_key(job),
            since=job.created_at,
            response_url=job.response_url,
            message=where,
        )
        delivered = await self._deliver(kind, job, rows, place, message, resumed=resumed)
        if not delivered.reached:
            self.metrics.invite_job_finished("undelivered")
            return  # left unfinished: resume delivers it later
        posted = delivered.posted  # the message now showing the job (posted or updated)
        finish = kind.after_finish is None
        await self.store.write(
            lambda tx: place_message(tx, job, rows, posted, moved=where is None, finish=finish)
        )
        if kind.after_finish is not None:
            # Finished only once this is done (a bulk job's report): a crash before, or a
            # failure worth another try, leaves the job to resume, which updates the same
            # message and runs it again.
            if not await kind.after_finish(job, rows, posted):
                self.metrics.invite_job_finished("undelivered")
                return
            await self.store.write(lambda tx: tx.jobs.finish(job.id))
        self.metrics.invite_job_finished("delivered")

    async def _deliver(
        self,
        kind: JobKind,
        job: InviteJob,
        rows: list[InviteRow],
        place: Place,
        message: Message,
        *,
        resumed: bool,
    ) -> Delivered:
        """Show the job's result in its channel; or, when it has no message yet and its kind
        says there is nothing new for the channel (`JobKind.private`), to its asker alone."""
        if kind.private is not None and place.message is None:
            private = await kind.private(job, rows)
            if private is not None:
                return Delivered(None, await tell_asker(self.outbound, place, private))
        return await deliver(self.outbound, place, message, resumed=resumed)


def message_key(job: InviteJob) -> str:
    """The key a job's message carries (metadata), so a lost answer is looked up."""
    return f"invite-job:{job.id}"
