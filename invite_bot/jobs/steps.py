"""What Gencove makes of one address of an invite job: the steps, no store writes.

In order: an invitation already pending (from the job's one read of the pending list) is
shown, not made again; an address that belongs to a member is not invited; else the
invitation is created, as the inviter's linked key when there is one. The answer is an
`Outcome`, which the job records with the others of its chunk (`job_records.record`).

Gencove failing is an outcome too: failed (with Gencove's sentence), or unsure when the
create's answer was lost and the invitation could not be found afterwards. Under
maintenance no further create is sent. A job that waits when Gencove is busy (bulk)
gets `None` instead for a 429 or a 5xx: the address stays open for the next round; its
creates are background work (`create_pace.in_background`): when the client paces
creates to what Gencove accepts, a person's own invite goes before them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from invite_bot.gencove import (
    Credentials,
    GencoveError,
    GencoveMaintenance,
    GencoveRateLimited,
    GencoveServerError,
    GencoveUncertain,
    GencoveValidationError,
    Invitation,
)
from invite_bot.gencove.acting import LinkedKeys, act_with
from invite_bot.gencove.client import GencoveClient
from invite_bot.gencove.create_pace import in_background
from invite_bot.store import InviteJob, JobOutcome, KnownInvitation, Store

log = logging.getLogger(__name__)

BUSY_WAIT = (1.0, 60.0)  # a job that waits when Gencove is busy: first and longest wait
CANCELLED = "Not sent: the job was cancelled before this address."


@dataclass(frozen=True)
class Outcome:
    """What one address came to, before it is recorded."""

    email: str
    outcome: JobOutcome
    role: str
    invitation: Invitation | KnownInvitation | None = None
    error: str | None = None
    as_linked: bool = False  # the inviter's linked key made it (else the organization's)

    @property
    def created(self) -> bool:
        return self.outcome == "created" and isinstance(self.invitation, Invitation)


class Steps:
    """The steps for each address of one run of a job."""

    def __init__(
        self,
        gencove: GencoveClient,
        store: Store,
        keys: LinkedKeys,
        job: InviteJob,
        *,
        maybe_sent: bool,
        wait_when_busy: bool,
    ) -> None:
        self.gencove, self.store, self.keys, self.job = gencove, store, keys, job
        self.maybe_sent = maybe_sent  # a crash may have left invitations this job made
        self.wait_when_busy = wait_when_busy
        self.stopped_by: str | None = None  # why no further create is sent
        self.cancelled = False  # the job was asked to stop: no further create is sent
        self.busy: GencoveError | None = None  # the last "busy" answer, for the wait
        # Should the database fail mid-job: creates in flight, or with an unknown outcome.
        self.sending: set[str] = set()
        self._backoff = BUSY_WAIT[0] / 2
        # The inviter's linked key, looked up once per run (not once per address); the
        # organization's from the moment Gencove refuses it.
        self._credentials: asyncio.Future[Credentials | None] | None = None
        self._linked_refused = False

    async def _inviter_credentials(self) -> Credentials | None:
        if self._linked_refused:
            return None
        if self._credentials is None:
            self._credentials = asyncio.ensure_future(
                self.keys.credentials_for(self.job.slack_user_id)
            )
        return await asyncio.shield(self._credentials)

    def wait_for_gencove(self) -> float:
        """Seconds to wait after Gencove was busy: what it asked, else a growing back-off."""
        first, longest = BUSY_WAIT
        busy, self.busy = self.busy, None
        if isinstance(busy, GencoveRateLimited) and busy.retry_after:
            return min(max(busy.retry_after, first / 10), longest)
        self._backoff = min(self._backoff * 2, longest)
        return self._backoff

    async def invite(
        self, email: str, role: str, pending: Awaitable[Mapping[str, Invitation] | None]
    ) -> Outcome | None:
        """The outcome for `email`, or None when it is left open (Gencove busy).

        `pending` is the job's one read of the pending list, shared by its addresses; each
        asks whether it is a member's meanwhile, so the two reads cost one wait, not two.
        """
        member = asyncio.ensure_future(self._is_member(email))
        try:
            existing = await self._already_pending(email, await asyncio.shield(pending))
            if existing is not None:
                return Outcome(email, "existing", existing.role, existing)
            if await member:
                return Outcome(email, "member", role)
            if self.cancelled:
                return Outcome(email, "cancelled", role, error=CANCELLED)
            if self.stopped_by is not None:
                return Outcome(email, "failed", role, error=self.stopped_by)
            self.sending.add(email)  # stays there if cancelled mid-create: it may be made
            invitation, as_linked = await self._create(email, role)
            self.sending.discard(email)
            return Outcome(email, "created", invitation.role, invitation, as_linked=as_linked)
        except GencoveUncertain as exc:
            log.warning("invite job %s: a create's outcome is unknown", self.job.id)
            self.sending.discard(email)
            return Outcome(email, "unsure", role, error=exc.message)
        except GencoveError as exc:
            self.sending.discard(email)
            if self.wait_when_busy and _busy(exc):
                self.busy = exc
                return None
            if isinstance(exc, GencoveMaintenance):
                self.stopped_by = exc.message  # no more requests while Gencove is down
            return Outcome(email, "failed", role, error=exc.message)
        finally:
            if not member.done():
                member.cancel()
            elif not member.cancelled():
                member.exception()  # read, so an unused failure is not reported as lost

    async def _already_pending(
        self, email: str, pending: Mapping[str, Invitation] | None
    ) -> Invitation | KnownInvitation | None:
        """The pending invitation for `email`, as Gencove has it.

        Read from the job's one pending list; without it, Gencove is asked only when there
        is reason to think one exists: the store remembers one, or a crash may have left
        one.
        """
        if pending is not None:
            return pending.get(email.lower())
        known = await self.store.read(lambda tx: tx.invitations.by_email(email, status="pending"))
        now = datetime.now(UTC)
        remembered = any(k.expires is None or k.expires > now for k in known)
        if not (remembered or self.maybe_sent):
            return None
        return await self.gencove.find_pending(email)

    async def _create(self, email: str, role: str) -> tuple[Invitation, bool]:
        gencove = self.gencove
        try:
            credentials = await self._inviter_credentials()
            # A job that waits when Gencove is busy (bulk) is background work: when
            # Gencove's pace holds creates back, a person's own invite goes first.
            with in_background() if self.wait_when_busy else contextlib.nullcontext():
                made, as_linked = await act_with(
                    credentials,
                    lambda credentials: gencove.create_invitation(
                        email, role, credentials=credentials
                    ),
                )
            if credentials is not None and not as_linked:  # refused: not tried again
                self._linked_refused = True
            return made, as_linked
        except GencoveValidationError as exc:
            # Gencove refuses a second pending invitation: show the one that exists.
            found = await gencove.find_pending(email)
            if found is None:
                raise
            log.info("create refused (%s); showing the pending invitation", exc.message)
            return found, False

    async def _is_member(self, email: str) -> bool:
        """Whether the address already belongs to a member (unknown counts as no: the
        invite then goes ahead, as it did before the bot could ask)."""
        try:
            return await self.gencove.is_member(email)
        except GencoveError as exc:
            if isinstance(exc, GencoveMaintenance) or (self.wait_when_busy and _busy(exc)):
                raise
            log.info("member lookup unavailable (%s); inviting", exc.message)
            return False


def _busy(exc: GencoveError) -> bool:
    """Gencove asks to slow down or is briefly down: worth waiting for, not a failure."""
    return isinstance(exc, (GencoveRateLimited, GencoveServerError)) and exc.status in {
        429,
        502,
        503,
        504,
    }
