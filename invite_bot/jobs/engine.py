"""Running an invite job: one Gencove create per address, then ONE message.

The job is stored before the first Gencove call. Its addresses go in chunks: each chunk's
addresses are sent together (within Gencove's limits, `GENCOVE_MAX_CONCURRENCY`), and
their outcomes recorded together in one transaction, with their audit entries, the claims'
release and the announcements. So a bot killed mid-way resumes the job on restart
(`Jobs.resume`): recorded addresses are not sent again, the others are looked up in the
pending list first, and the message still ends up showing every address.

A job's kind says how its message looks and what happens between chunks and at the end
(`kinds.py`, registered by the features): a plain invite posts one result message; a bulk
job keeps a progress message up to date, can be cancelled between chunks, and waits when
Gencove is busy instead of recording a failure. Who runs a job and for how long (its
lease, takeover) is `holding.py`; how a message reaches the channel (or the inviter, when
the channel cannot have it) is `delivery.py`; what Gencove makes of one address is
`steps.py`; what is written to the store is `recording.py`.

Store round trips for a one-address invite: the job stored with its claims (and the
subscribed channels), the outcome, and the message's place with the job's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence, Set
from datetime import timedelta

from invite_bot.config.metrics import Metrics
from invite_bot.domain.records import InviteRow
from invite_bot.gencove import GencoveClient, Invitation
from invite_bot.gencove.acting import LinkedKeys
from invite_bot.jobs.delivery import Delivered, Place, deliver, tell_asker
from invite_bot.jobs.holding import Holding
from invite_bot.jobs.kinds import JobKind, JobKinds
from invite_bot.jobs.pending import PendingList
from invite_bot.jobs.recording import place_message, record, store_job
from invite_bot.jobs.refresh import Messages
from invite_bot.jobs.rows import job_rows
from invite_bot.jobs.steps import Outcome, Steps
from invite_bot.slack.blockkit import Message
from invite_bot.slack.outbound import Outbound, Posted
from invite_bot.store import InviteJob, InviteJobItem, NewInviteJob, Store, StoreUnavailable

log = logging.getLogger(__name__)

CHUNK = 50  # addresses sent together, then recorded in one transaction
CLAIM_WAIT = timedelta(minutes=5)  # for an address another invite job is working on
CLAIM_POLL = 0.05  # seconds between looks at a claim another job holds
STILL_INVITING = (
    "Another invite of this address was still running, so none was sent from here. "
    "Check `/gencove list` in a minute."
)
CANCELLED = "Not sent: the job was cancelled before this address."


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
            run = _Run(self, job, kind, resumed=resumed)
            try:
                open_items = await run.claim(claimed)
                if announce_in is None:
                    announce_in = await self._announce_in(job)
                await run.invite(open_items, announce_in)
            except BaseException as exc:
                await run.failed(exc)
                raise
            try:
                await self._show(job, kind, run.done, resumed=resumed)
            except StoreUnavailable as exc:  # the invitations exist; their message may not
                raise exc.after(_made(run.done)) from exc
            return job

    async def _announce_in(self, job: InviteJob) -> list[str]:
        """The channels told of the job's invitations (not the one it posts in)."""
        return await self.store.read(
            lambda tx: tx.subscriptions.notified(also=self.notify_channel, besides=job.channel_id)
        )

    async def _show(
        self, job: InviteJob, kind: JobKind, done: Mapping[str, InviteRow], *, resumed: bool
    ) -> None:
        """Post (or update) the job's message, record where it is and finish the job."""
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
            key=f"invite-job:{job.id}",
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
            # Finished only once this has run (a bulk job's report): a crash before leaves
            # the job to resume, which updates the same message and runs it again.
            await kind.after_finish(job, rows, posted)
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

    async def claim_all(
        self, job: InviteJob, emails: Sequence[str], done: dict[str, InviteRow]
    ) -> None:
        """Claim every address, waiting for the ones another job holds until it lets them
        go. An address still held after CLAIM_WAIT is left unclaimed: its invite is then
        recorded as failed ("another invite of it is still running"), never made twice.
        """
        deadline = time.monotonic() + CLAIM_WAIT.total_seconds()
        wanted = set(emails)
        while True:
            wanted -= await self._take(job.id, frozenset(wanted))
            # Wait with reads (cheap, concurrent) until one of the claims is let go or lapses.
            while wanted and time.monotonic() < deadline:
                if await self._held_by_others(job.id, frozenset(wanted)) != wanted:
                    break
                await asyncio.sleep(CLAIM_POLL)
            if not wanted or time.monotonic() >= deadline:
                break
        for email in sorted(wanted):
            log.warning("invite job %s: %s is still being invited by another job", job.id, email)
            role = next((job.role_of(i) for i in job.items if i.email == email), job.role or "")
            outcome = Outcome(email, "failed", role, error=STILL_INVITING)
            done.update(await record(self.store, job, [outcome], []))

    async def _take(self, job_id: int, emails: frozenset[str]) -> set[str]:
        owner, lease = self.holding.instance, self.holding.lease
        return await self.store.write(
            lambda tx: tx.claims.take(job_id, emails, owner=owner, lease=lease)
        )

    async def _held_by_others(self, job_id: int, emails: frozenset[str]) -> set[str]:
        return await self.store.read(lambda tx: tx.claims.held_by_others(job_id, emails))


class _Run:
    """One run of a job: its claims, its one pending-list read, its chunks of addresses."""

    def __init__(self, jobs: Jobs, job: InviteJob, kind: JobKind, *, resumed: bool) -> None:
        self.jobs, self.store, self.job, self.kind = jobs, jobs.store, job, kind
        self.steps = Steps(
            jobs.gencove,
            jobs.store,
            jobs.keys,
            job,
            maybe_sent=resumed,
            wait_when_busy=kind.wait_when_busy,
        )
        self.done: dict[str, InviteRow] = {}  # what this run learnt, by address
        self.unrecorded: list[Outcome] = []  # outcomes of the chunk being recorded
        self.pending: asyncio.Future[Mapping[str, Invitation] | None] | None = None

    async def claim(self, claimed: Set[str]) -> list[InviteJobItem]:
        """The duplicate guard: no other job may invite these addresses until this one
        has recorded them; then Gencove's pending list, read once with the claims held,
        says which already have an invitation (another job's, or made outside Slack)."""
        job = self.job
        open_items = [item for item in job.items if item.outcome is None]
        unclaimed = [item.email for item in open_items if item.email not in claimed]
        await self.jobs.claim_all(job, unclaimed, self.done)
        claimed_at = time.monotonic()
        open_items = [item for item in open_items if item.email not in self.done]
        # Read while the first chunk's addresses ask whether they are members' already;
        # jobs claimed before a read began share it (jobs/pending.py).
        self.pending = asyncio.ensure_future(
            self.jobs.pending.read_after(claimed_at) if open_items else _nothing()
        )
        return open_items

    async def invite(self, open_items: list[InviteJobItem], announce_in: Sequence[str]) -> None:
        """Chunk by chunk, each recorded in one transaction; Cancel is looked at between."""
        job, steps = self.job, self.steps
        first = True
        while open_items:
            # Asked to stop (a bulk job's Cancel): what was done stays, the rest is not sent.
            if not (first and job.kind == "invite") and await self.store.read(
                lambda tx: tx.jobs.cancelled(job.id)
            ):
                cancelled = [
                    Outcome(i.email, "cancelled", job.role_of(i), error=CANCELLED)
                    for i in open_items
                ]
                self.done.update(await record(self.store, job, cancelled, announce_in))
                break
            first = False
            chunk, open_items = open_items[:CHUNK], open_items[CHUNK:]
            left = await self._chunk(chunk, announce_in)
            if left:  # Gencove was busy: wait, then send those again before the rest
                open_items = left + open_items
                await asyncio.sleep(steps.wait_for_gencove())
            if self.kind.after_chunk is not None and open_items:
                rows = await job_rows(self.store, job, known=self.done)
                await self.kind.after_chunk(job, rows)
        if steps.stopped_by is not None:
            log.info("invite job %s: %s", job.id, steps.stopped_by)

    async def _chunk(
        self, chunk: list[InviteJobItem], announce_in: Sequence[str]
    ) -> list[InviteJobItem]:
        """Invite one chunk at once and record it; returns the addresses left open."""
        assert self.pending is not None
        # A task group: if one address fails unexpectedly (say, the database), the others
        # stop too and the job is left to be resumed, not run on unowned.
        async with asyncio.TaskGroup() as group:
            sent = [
                group.create_task(self.steps.invite(i.email, self.job.role_of(i), self.pending))
                for i in chunk
            ]
        outcomes = [task.result() for task in sent]
        self.unrecorded = [o for o in outcomes if o is not None]
        self.done.update(await record(self.store, self.job, self.unrecorded, announce_in))
        self.unrecorded = []
        return [i for i, o in zip(chunk, outcomes, strict=True) if o is None]

    async def failed(self, exc: BaseException) -> None:
        """Tidy up after `exc`; a database failure is re-raised saying what Gencove made."""
        job = self.job
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        if not isinstance(exc, asyncio.CancelledError):
            self.jobs.metrics.invite_job_finished("failed")
        with contextlib.suppress(Exception):  # unreleased claims lapse with the lease
            emails = [item.email for item in job.items]
            await self.store.write(lambda tx: tx.claims.release(job.id, emails))
        lost = _store_failure(exc)
        if lost is not None:
            # Gencove may have acted before the database failed: the inviter hears what.
            made = _made(self.done) + [f"invited {o.email}" for o in self.unrecorded if o.created]
            made += [f"{e} may have been invited" for e in sorted(self.steps.sending)]
            raise StoreUnavailable(lost.kind, took_effect=made) from None


def _store_failure(exc: BaseException) -> StoreUnavailable | None:
    """The database failure behind `exc` (itself, or inside a task group's), if any."""
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _store_failure(inner)
            if found is not None:
                return found
    return None


async def _nothing() -> None:
    return None


def _made(done: Mapping[str, InviteRow]) -> list[str]:
    """What this run made at Gencove and recorded, for a user who may not see its message."""
    return [f"invited {email}" for email, row in sorted(done.items()) if _created(row)]


def _created(row: InviteRow) -> bool:
    return row.invitation_id is not None and not row.existing
