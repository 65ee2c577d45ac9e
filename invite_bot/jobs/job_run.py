"""One run of an invite job: its claims in rounds, its pending-list reads, its chunks.

The duplicate guard: a job may invite an address only while it holds the address's claim
(`store/repositories/claims.py`), and it lets a claim go in the transaction that records
the address's outcome. A job never waits for some addresses while it holds others: it
takes the ones no other job holds and sends those; only then, holding nothing, it waits
for the rest, takes those let go, and sends them in turn (so two jobs that share
addresses each send what they hold and never wait on each other). An address still held
by another job after CLAIM_WAIT is recorded as failed ("still being invited"), never
sent twice.

Each round reads Gencove's pending list once, after its claims were taken
(`pending.py`): what another job made and recorded before letting an address go is in it.
Chunks of addresses go out together; a kind that shows progress (`JobKind.tick`) is shown
it every `tick` seconds within a chunk too, and Cancel is looked at then: addresses not
sent yet are not sent once a job is asked to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from datetime import timedelta
from functools import partial

from invite_bot.domain.records import InviteRow
from invite_bot.gencove import Invitation
from invite_bot.jobs.kinds import JobKind
from invite_bot.jobs.recording import record, row_of
from invite_bot.jobs.rows import job_rows
from invite_bot.jobs.steps import CANCELLED, Outcome, Steps
from invite_bot.store import InviteJob, InviteJobItem, JobOutcome, Store, StoreUnavailable, Tx

log = logging.getLogger(__name__)

CHUNK = 50  # addresses sent together, then recorded in one transaction
CLAIM_WAIT = timedelta(minutes=5)  # for addresses another invite job is working on
CLAIM_POLL = 0.05  # seconds between looks at claims another job holds
STILL_INVITING = (
    "Another invite of this address was still running, so none was sent from here. "
    "Check `/gencove list` in a minute."
)
# Gencove's pending list as read after a time.monotonic() (`PendingList.read_after`)
PendingReader = Callable[[float], Awaitable[Mapping[str, Invitation] | None]]


class JobRun:
    """One run of a job by the process holding its lease (see the module's docstring)."""

    def __init__(
        self,
        store: Store,
        steps: Steps,
        job: InviteJob,
        kind: JobKind,
        *,
        owner: str,
        lease: timedelta,
        read_pending: PendingReader,
    ) -> None:
        self.store, self.steps, self.job, self.kind = store, steps, job, kind
        self.owner, self.lease = owner, lease
        self._read_pending = read_pending
        self.done: dict[str, InviteRow] = {}  # what this run learnt, by address
        self.unrecorded: list[Outcome] = []  # outcomes of the chunk being recorded
        self.waiting: list[InviteJobItem] = []  # open, and claimed by another job
        self.pending: asyncio.Future[Mapping[str, Invitation] | None] | None = None
        self._deadline: float | None = None  # for `waiting`, once this run waits

    # -- claims ----------------------------------------------------------------------

    async def claim(self, claimed: Set[str]) -> list[InviteJobItem]:
        """The open addresses this run may send now (the others wait: `waiting`).
        `claimed`: those the caller claimed for the job already."""
        open_items = [item for item in self.job.items if item.outcome is None]
        unclaimed = frozenset(item.email for item in open_items) - claimed
        held = set(claimed) | await self._take(unclaimed)
        self.waiting = [item for item in open_items if item.email not in held]
        return self._round([item for item in open_items if item.email in held])

    def _round(self, items: list[InviteJobItem]) -> list[InviteJobItem]:
        """Start a round of `items`, just claimed: its read of the pending list, shared with
        the first chunk's member lookups (jobs claimed before a read began share it)."""
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        claimed_at = time.monotonic()
        self.pending = asyncio.ensure_future(
            self._read_pending(claimed_at) if items else _nothing()
        )
        return items

    async def _take(self, emails: frozenset[str]) -> set[str]:
        if not emails:
            return set()
        job_id, owner, lease = self.job.id, self.owner, self.lease
        return await self.store.write(
            lambda tx: tx.claims.take(job_id, emails, owner=owner, lease=lease)
        )

    async def next_round(self, announce_in: Sequence[str]) -> list[InviteJobItem]:
        """Holding no claim, wait for addresses another job holds; returns those taken
        once let go ([] when none is left to wait for: sent, cancelled, or given up)."""
        if self._deadline is None:
            self._deadline = time.monotonic() + CLAIM_WAIT.total_seconds()
        job_id = self.job.id
        while self.waiting:
            emails = frozenset(item.email for item in self.waiting)
            held, cancelled = await self.store.read(partial(_waiting, job_id=job_id, emails=emails))
            if cancelled:  # Cancel while waiting: what was sent stays, the rest is not sent
                await self._record_waiting("cancelled", CANCELLED, announce_in)
                return []
            taken = await self._take(emails - held) if held != emails else set()
            if taken:
                now = [item for item in self.waiting if item.email in taken]
                self.waiting = [item for item in self.waiting if item.email not in taken]
                return self._round(now)
            if time.monotonic() >= self._deadline:
                for item in self.waiting:
                    log.warning(
                        "invite job %s: %s is still being invited elsewhere", job_id, item.email
                    )
                await self._record_waiting("failed", STILL_INVITING, announce_in)
                return []
            await asyncio.sleep(CLAIM_POLL)
        return []

    async def _record_waiting(
        self, outcome: JobOutcome, error: str, announce_in: Sequence[str]
    ) -> None:
        job = self.job
        outcomes = [
            Outcome(item.email, outcome, job.role_of(item), error=error) for item in self.waiting
        ]
        self.waiting = []
        self.done.update(await record(self.store, job, outcomes, announce_in))

    # -- chunks ----------------------------------------------------------------------

    async def send(self, items: list[InviteJobItem], announce_in: Sequence[str]) -> bool:
        """Chunk by chunk, each recorded in one transaction; Cancel is looked at between
        (and within, for a kind with a `tick`). False once the job was cancelled."""
        job, steps = self.job, self.steps
        first = True
        while items:
            # Asked to stop (a bulk job's Cancel): what was done stays, the rest is not sent.
            if not (first and job.kind == "invite") and await self.store.read(
                lambda tx: tx.jobs.cancelled(job.id)
            ):
                await self.cancel_rest(items, announce_in)
                return False
            first = False
            chunk, items = items[:CHUNK], items[CHUNK:]
            left = await self._chunk(chunk, announce_in)
            if left:  # Gencove was busy: wait, then send those again before the rest
                items = left + items
                await asyncio.sleep(steps.wait_for_gencove())
            if self.kind.after_chunk is not None and (items or self.waiting):
                await self.kind.after_chunk(job, await job_rows(self.store, job, known=self.done))
        if steps.stopped_by is not None:
            log.info("invite job %s: %s", job.id, steps.stopped_by)
        return True

    async def cancel_rest(self, items: list[InviteJobItem], announce_in: Sequence[str]) -> None:
        job = self.job
        cancelled = [Outcome(i.email, "cancelled", job.role_of(i), error=CANCELLED) for i in items]
        self.done.update(await record(self.store, job, cancelled, announce_in))
        if self.waiting:
            await self._record_waiting("cancelled", CANCELLED, announce_in)

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
            if self.kind.tick is not None and self.kind.after_chunk is not None:
                await self._watch(chunk, sent, self.kind.tick)
        outcomes = [task.result() for task in sent]
        self.unrecorded = [o for o in outcomes if o is not None]
        self.done.update(await record(self.store, self.job, self.unrecorded, announce_in))
        self.unrecorded = []
        return [i for i, o in zip(chunk, outcomes, strict=True) if o is None]

    async def _watch(
        self,
        chunk: list[InviteJobItem],
        sent: list[asyncio.Task[Outcome | None]],
        tick: float,
    ) -> None:
        """Every `tick` until the chunk is done: look at Cancel, and show the progress."""
        assert self.kind.after_chunk is not None
        job_id = self.job.id
        running: set[asyncio.Task[Outcome | None]] = set(sent)
        while True:
            _, running = await asyncio.wait(running, timeout=tick)
            if not running:
                return
            if not self.steps.cancelled:
                self.steps.cancelled = await self.store.read(lambda tx: tx.jobs.cancelled(job_id))
            known = dict(self.done)
            for item, task in zip(chunk, sent, strict=True):
                outcome = _result(task)
                if outcome is not None:
                    known[item.email] = row_of(outcome)
            await self.kind.after_chunk(self.job, await job_rows(self.store, self.job, known=known))

    # -- the end -------------------------------------------------------------------------

    async def failed(self, exc: BaseException) -> StoreUnavailable | None:
        """Tidy up after `exc`; for a database failure, the error to raise instead (what
        Gencove made before it failed)."""
        job = self.job
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        with contextlib.suppress(Exception):  # unreleased claims lapse with the lease
            emails = [item.email for item in job.items]
            await self.store.write(lambda tx: tx.claims.release(job.id, emails))
        lost = _store_failure(exc)
        if lost is None:
            return None
        # Gencove may have acted before the database failed: the inviter hears what.
        made = made_by(self.done) + [f"invited {o.email}" for o in self.unrecorded if o.created]
        made += [f"{e} may have been invited" for e in sorted(self.steps.sending)]
        return StoreUnavailable(lost.kind, took_effect=made)


def _waiting(tx: Tx, *, job_id: int, emails: frozenset[str]) -> tuple[set[str], bool]:
    """(The addresses another job holds, whether this job was asked to stop): one read."""
    return tx.claims.held_by_others(job_id, emails), tx.jobs.cancelled(job_id)


def _result(task: asyncio.Task[Outcome | None]) -> Outcome | None:
    """A finished step's outcome (None: not finished, left open, or failed)."""
    if not task.done() or task.cancelled() or task.exception() is not None:
        return None
    return task.result()


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


def made_by(done: Mapping[str, InviteRow]) -> list[str]:
    """What a run made at Gencove and recorded, for a user who may not see its message."""
    return [f"invited {email}" for email, row in sorted(done.items()) if _created(row)]


def _created(row: InviteRow) -> bool:
    return row.invitation_id is not None and not row.existing
