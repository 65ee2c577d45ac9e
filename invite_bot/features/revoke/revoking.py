"""Revoking an invitation, from a button or from `/gencove revoke`: the same steps.

Gencove is the source of truth. A revoke that Gencove refuses because the invitation is
no longer pending is not an error for the user: the bot finds the real status, records it
and shows it, so a double click or a stale button revokes nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from invite_bot.domain.keyed import KeyedLocks
from invite_bot.domain.transitions import actor_name, known_invitation, transition
from invite_bot.gencove import (
    Credentials,
    GencoveError,
    GencoveNoLongerPending,
    GencoveNotFound,
    GencoveValidationError,
    Invitation,
)
from invite_bot.gencove.acting import LinkedKeys, as_actor
from invite_bot.gencove.client import GencoveClient
from invite_bot.jobs.refresh import Messages
from invite_bot.store import KnownInvitation, Store, Tx

log = logging.getLogger(__name__)

LOOKUP_PAGES = 20  # how deep to search for an invitation's real status (newest first)


@dataclass(frozen=True)
class RevokeOutcome:
    result: Literal["revoked", "not_pending", "unknown", "failed"]
    email: str
    status: str | None = None
    changed_by: str | None = None
    message: str | None = None  # Gencove's reason when it failed
    # whether the bot's result message showing this invitation was brought up to date
    message_updated: bool = False


class Revoking:
    """Revokes invitations as the person who asked, and records what Gencove says of them."""

    def __init__(
        self,
        *,
        store: Store,
        gencove: GencoveClient,
        keys: LinkedKeys,
        messages: Messages,
        notify_channel: str | None,
    ) -> None:
        self.store = store
        self.gencove = gencove
        self.keys = keys
        self.messages = messages
        self.notify_channel = notify_channel
        self._locks: KeyedLocks[str] = KeyedLocks()  # by invitation id

    async def _channels(self, *, besides: str | None = None) -> list[str]:
        """The channels told of invitation changes, minus `besides`."""
        also = self.notify_channel
        return await self.store.read(
            lambda tx: tx.subscriptions.notified(also=also, besides=besides)
        )

    async def revoke(
        self, invitation_id: str, *, user_id: str, channel_id: str | None
    ) -> RevokeOutcome:
        """Revoke one invitation as `user_id`, record it, and update its result message."""
        # One revoke per invitation at a time in this process: a double click sends one DELETE.
        async with self._locks.lock(invitation_id):
            return await self._revoke(invitation_id, user_id=user_id, channel_id=channel_id)

    async def _revoke(
        self, invitation_id: str, *, user_id: str, channel_id: str | None
    ) -> RevokeOutcome:
        known = await self.store.read(lambda tx: tx.invitations.get(invitation_id))
        email = known.email if known else ""
        if known is not None and known.status != "pending":
            return RevokeOutcome("not_pending", email, known.status, known.changed_by)
        try:
            _none, as_linked = await as_actor(
                self.keys,
                user_id,
                lambda credentials: self.gencove.revoke_invitation(
                    invitation_id, credentials=credentials
                ),
            )
        except (GencoveValidationError, GencoveNotFound) as refused:
            try:
                real = await self.locate(invitation_id)
            except GencoveError as exc:
                log.info(
                    "revoke refused (%s); real status unknown (%s)", refused.message, exc.message
                )
                return RevokeOutcome("failed", email, message=refused.message)
            if real is None:
                return RevokeOutcome("unknown", email)
            if isinstance(refused, GencoveNoLongerPending) and real.status == "revoked":
                # This request's answer was lost, and now it is revoked: this request did it.
                email = email or (real.email or "")
                return await self._revoked(invitation_id, known, email, user_id, channel_id, False)
            await self.record(real, known=known)
            updated = await self.messages.refresh_invitation(invitation_id)
            return RevokeOutcome(
                "not_pending", real.email or email, real.status, message_updated=updated
            )
        except GencoveError as exc:
            return RevokeOutcome("failed", email, message=exc.message)
        return await self._revoked(invitation_id, known, email, user_id, channel_id, as_linked)

    async def _revoked(
        self,
        invitation_id: str,
        known: KnownInvitation | None,
        email: str,
        user_id: str,
        channel_id: str | None,
        as_linked: bool,
    ) -> RevokeOutcome:
        """Record a revoke this user made, and update the message showing it."""
        # Subscribed channels hear of it as of any revoke (not the channel it was clicked in).
        channels = await self._channels(besides=channel_id)
        revoked = (
            transition(known, old=known.status, new="revoked", actor=user_id, at=datetime.now(UTC))
            if known is not None
            else None
        )

        def store(tx: Tx) -> None:
            if revoked is not None:
                tx.transitions.apply([revoked], notify_channels=channels)
            tx.audit.add(
                actor_slack_id=user_id,
                action="revoke",
                invitation_id=invitation_id,
                email=email or None,
                channel_id=channel_id,
                detail={"as": "linked key" if as_linked else "organization key"},
            )

        await self.store.write(store)
        updated = await self.messages.refresh_invitation(invitation_id)
        return RevokeOutcome("revoked", email, "revoked", user_id, message_updated=updated)

    async def locate(
        self, invitation_id: str, credentials: Credentials | None = None
    ) -> Invitation | None:
        """Find an invitation by id in Gencove's lists (there is no read-by-id endpoint)."""
        pages = 0
        async for page in self.gencove.iter_pages("all", credentials=credentials):
            for invitation in page.results:
                if invitation.id == invitation_id:
                    return invitation
            pages += 1
            if pages >= LOOKUP_PAGES:
                break
        return None

    async def record(self, invitation: Invitation, *, known: KnownInvitation | None) -> None:
        """Store what Gencove says of an invitation. A change of status the store had not seen
        is recorded as the watcher would (with its notifications), so none is lost."""
        if known is not None and known.status != invitation.status:
            change = transition(
                known,
                old=known.status,
                new=invitation.status,
                actor=actor_name(invitation),
                at=datetime.now(UTC),
            )
            channels = await self._channels()
            await self.store.write(
                lambda tx: tx.transitions.apply([change], notify_channels=channels)
            )
            return
        seen = known_invitation(
            invitation, changed_by=actor_name(invitation), now=datetime.now(UTC)
        )
        await self.store.write(lambda tx: tx.invitations.record([seen]))
