"""Re-invite: a new invitation to the address of an expired or revoked one, same role.

Gencove has no resend: a re-invite is a new `POST /api/v2/invitations/`, made through the
ordinary invite job (`invite_if_allowed`), so the inviter check, the rate limit and the
duplicate guard (address claims, then Gencove's pending list) apply exactly as to
`/gencove invite`. From a reminder the old invitation is still pending: it is revoked
first. One re-invite per old invitation: `store.reinvites.claim` is a conditional insert,
so a double click — in one process or two — re-invites once; a refused re-invite lets go
of its claim.

Clicked in a message the bot posted (a result message, a notification, a reminder), the
job shows its result in that message (old row "re-invited by @x", the new row with its
Revoke button) instead of posting one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from invite_bot.domain.addresses import AddressParse
from invite_bot.domain.policy import Refused
from invite_bot.domain.records import Reinvite
from invite_bot.domain.text import escape_mrkdwn, slack_date
from invite_bot.features.reinvite.blocks import REINVITABLE
from invite_bot.features.revoke.blocks import describe
from invite_bot.features.revoke.revoking import Revoking
from invite_bot.gencove import GencoveError
from invite_bot.gencove.client import GencoveClient
from invite_bot.jobs.refresh import Messages
from invite_bot.slack.people import Inviters
from invite_bot.store import KnownInvitation, NewInviteJob, OutboxItem, Store, Tx

log = logging.getLogger(__name__)

LOOKUP_PAGES = 10  # how deep `/gencove reinvite EMAIL` looks in Gencove's list, newest first


@dataclass(frozen=True)
class Host:
    """The message the re-invite was clicked in, which then shows its result."""

    channel_id: str
    message_ts: str


@dataclass(frozen=True)
class Clicked:
    """Who re-invites, from where."""

    user_id: str
    channel_id: str
    response_url: str | None
    delivery_key: str


@dataclass(frozen=True)
class ReinviteOutcome:
    result: Literal["reinvited", "refused"]
    note: str  # what to tell the person, mrkdwn, escaped ("": told already)
    new_invitation_id: str | None = None


def valid_invitation_id(value: str) -> str | None:
    """The canonical id in a button's value, or None when it is not a UUID."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class InviteChecks(Protocol):
    """The invite feature's checks and start, which a re-invite goes through like any."""

    @property
    def inviters(self) -> Inviters: ...

    def read_addresses(self, text: str) -> tuple[AddressParse, Refused | None]: ...

    async def invite_if_allowed(
        self, job: NewInviteJob, *, tell: Callable[[str], Awaitable[object]]
    ) -> None: ...


class PostedNotices(Protocol):
    """The notices the bot posted (the notify feature's): is this message one of them?"""

    async def posted_notice(
        self, channel_id: str, message_ts: str, *, invitation_id: str | None = None
    ) -> OutboxItem | None: ...


class Reinviting:
    """Re-invites the address of an expired or revoked invitation (see the module doc)."""

    def __init__(
        self,
        *,
        store: Store,
        gencove: GencoveClient,
        inviting: InviteChecks,
        revoking: Revoking,
        notices: PostedNotices,
        messages: Messages,
    ) -> None:
        self.store = store
        self.gencove = gencove
        self.inviting = inviting
        self.revoking = revoking
        self.notices = notices
        self.messages = messages

    async def host_for(self, channel_id: str | None, message_ts: str | None) -> Host | None:
        """The clicked message, when it is one the bot can re-render (a result message, or a
        notice it posted itself); None otherwise (an ephemeral list, a response_url post)."""
        if not channel_id or not message_ts:
            return None
        if await self.notices.posted_notice(channel_id, message_ts) is not None:
            return Host(channel_id, message_ts)
        if (
            await self.store.read(lambda tx: tx.jobs.for_message(channel_id, message_ts))
            is not None
        ):
            return Host(channel_id, message_ts)
        return None

    async def reinvite(
        self, invitation_id: str, clicked: Clicked, *, host: Host | None
    ) -> ReinviteOutcome:
        """Re-invite the address of `invitation_id` as `clicked.user_id` (see module doc)."""
        decision = await self.inviting.inviters.check(clicked.user_id)
        if isinstance(decision, Refused):
            return _refused(decision.message)
        old = await self._known(invitation_id)
        if old is None:
            return _refused("Gencove does not know that invitation, so nothing was re-invited.")
        email = escape_mrkdwn(old.email)
        _parsed, refusal = self.inviting.read_addresses(old.email)
        if refusal is not None:
            return _refused(f"{email} was not re-invited. {refusal.message}")
        from_reminder = host is not None and await self._is_reminder(host, invitation_id)
        if old.status == "pending" and not from_reminder:
            return _refused(
                f"The invitation to {email} is still pending (expires {slack_date(old.expires)}), "
                "so no second one was sent."
            )
        if old.status not in (*REINVITABLE, "pending"):
            return _refused(f"{email} already {old.status} the invitation: nothing to re-invite.")
        by = clicked.user_id
        claimed, earlier = await self.store.write(
            lambda tx: _claim(tx, invitation_id, email=old.email, by_user=by)
        )
        if not claimed:
            who = f" by <@{earlier.by_user}>" if earlier else ""
            return _refused(f"{email} was already re-invited{who}; nothing more was sent.")
        try:
            outcome = await self._run(old, clicked, host)
        except BaseException:
            await self.store.write(lambda tx: tx.reinvites.release(invitation_id))
            raise
        if outcome.result != "reinvited":
            await self.store.write(lambda tx: tx.reinvites.release(invitation_id))
        if host is not None:
            await self.messages.refresh(host.channel_id, host.message_ts)
        return outcome

    async def _run(
        self, old: KnownInvitation, clicked: Clicked, host: Host | None
    ) -> ReinviteOutcome:
        email = escape_mrkdwn(old.email)
        if old.status == "pending":
            revoked = await self.revoking.revoke(
                old.id, user_id=clicked.user_id, channel_id=clicked.channel_id
            )
            if revoked.result != "revoked" and revoked.status not in REINVITABLE:
                return _refused(f"{email} was not re-invited: the old one was {describe(revoked)}")
        told: list[str] = []

        async def tell(text: str) -> None:
            told.append(text)

        key = f"reinvite:{old.id}:{clicked.delivery_key}"
        job = NewInviteJob(
            slack_user_id=clicked.user_id,
            channel_id=host.channel_id if host else clicked.channel_id,
            response_url=clicked.response_url,
            role=old.role or None,
            addresses=[old.email],
            delivery_key=key,
            message_channel_id=host.channel_id if host else None,
            message_ts=host.message_ts if host else None,
        )
        await self.inviting.invite_if_allowed(job, tell=tell)
        if told:
            return _refused(told[0])
        ran = await self.store.read(lambda tx: tx.jobs.by_delivery_key(key))
        item = ran.items[0] if ran and ran.items else None
        if item is None or item.outcome is None:
            return _refused(f"The re-invite of {email} did not finish; it is retried shortly.")
        if item.outcome != "created" and host is None:
            return _refused("")  # the job told the clicker privately what stands instead
        if item.outcome == "existing":
            return _refused(
                f"A pending invitation to {email} already exists, so no second one was sent."
            )
        if item.outcome != "created" or item.invitation_id is None:
            reason = escape_mrkdwn(item.error or item.outcome)
            return _refused(f"{email} was not re-invited: {reason}")
        new_id = item.invitation_id
        await self.store.write(lambda tx: _made(tx, old, new_id, clicked, host))
        return ReinviteOutcome("reinvited", f"{email}: re-invited.", new_id)

    async def _is_reminder(self, host: Host, invitation_id: str) -> bool:
        item = await self.notices.posted_notice(
            host.channel_id, host.message_ts, invitation_id=invitation_id
        )
        return item is not None and item.kind == "reminder"

    async def _known(self, invitation_id: str) -> KnownInvitation | None:
        """The store's record of the invitation, or Gencove's (then recorded)."""
        known = await self._stored(invitation_id)
        if known is not None:
            return known
        real = await self.revoking.locate(invitation_id)
        if real is None:
            return None
        await self.revoking.record(real, known=None)
        return await self._stored(invitation_id)

    async def _stored(self, invitation_id: str) -> KnownInvitation | None:
        return await self.store.read(lambda tx: tx.invitations.get(invitation_id))

    async def latest_for(self, email: str) -> KnownInvitation | None:
        """The newest invitation to `email` that the store knows, else the newest in Gencove's
        list (recorded then); None when there is none."""
        known = await self.store.read(lambda tx: tx.invitations.by_email(email))
        if known:
            return max(known, key=lambda k: (k.expires is not None, k.expires, k.first_seen))
        pages = 0
        try:
            async for page in self.gencove.iter_pages("all"):
                for invitation in page.results:
                    if (invitation.email or "").lower() == email.lower():
                        await self.revoking.record(invitation, known=None)
                        return await self._stored(invitation.id)
                pages += 1
                if pages >= LOOKUP_PAGES:
                    break
        except GencoveError as exc:
            log.info("no invitation to re-invite found (%s)", exc.message)
            raise
        return None


def _claim(tx: Tx, invitation_id: str, *, email: str, by_user: str) -> tuple[bool, Reinvite | None]:
    """(True, None) for the one click that re-invites; else (False, the earlier re-invite)."""
    if tx.reinvites.claim(invitation_id, email=email, by_user=by_user):
        return True, None
    return False, tx.reinvites.get(invitation_id)


def _made(tx: Tx, old: KnownInvitation, new_id: str, clicked: Clicked, host: Host | None) -> None:
    """Record the re-invite's new invitation, where it shows, and the audit entry."""
    tx.reinvites.made(old.id, new_id)
    if host is not None:
        tx.invitations.set_message(
            new_id,
            channel_id=host.channel_id,
            message_ts=host.message_ts,
            block_id=f"inv:{new_id}",
        )
    tx.audit.add(
        actor_slack_id=clicked.user_id,
        action="reinvite",
        invitation_id=new_id,
        email=old.email,
        channel_id=clicked.channel_id,
        detail={"old_invitation_id": old.id, "old_status": old.status, "role": old.role},
    )


def _refused(note: str) -> ReinviteOutcome:
    return ReinviteOutcome("refused", note)
