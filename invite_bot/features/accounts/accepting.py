"""Accepting an invitation as oneself, and the linked personal key that makes it possible.

Gencove accepts an invitation only for the calling user, so the Accept button uses the
clicker's own linked key — never the organization key.
"""

from __future__ import annotations

import logging

from invite_bot.domain.command.refs import invitation_token
from invite_bot.domain.keyed import KeyedLocks
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.accounts.blocks import Card, accept_card
from invite_bot.gencove import (
    GencoveError,
    GencoveForbidden,
    GencoveNotFound,
    GencoveUnauthorized,
    GencoveValidationError,
    InvitationDetails,
)
from invite_bot.gencove.acting import LinkedKeys
from invite_bot.gencove.client import GencoveClient
from invite_bot.slack.blockkit import Message, note
from invite_bot.store import Store

log = logging.getLogger(__name__)


UNKNOWN_TOKEN = (
    "Gencove knows no invitation with that token. Check that you pasted the whole link "  # noqa: S105
    "from the invitation e-mail."
)
NOT_YOURS = (
    "This invitation was sent to another e-mail address than the one of your linked Gencove "
    "account ({email}). Ask the inviter to invite that address, or link the right account "
    "with `/gencove link`."
)
KEY_REFUSED = (
    "Gencove no longer accepts your linked API key. Link a current one with `/gencove link`."
)
STATUS_NOTES = {
    "accepted": "This invitation has already been accepted: nothing to do.",
    "expired": "This invitation has expired. Ask the person who invited you for a new one.",
    "revoked": "This invitation was revoked. Ask the person who invited you for a new one.",
}


def _card(details: InvitationDetails, *, linked: bool) -> Card:
    return Card(
        token=details.token,
        organization=details.organization.name,
        role=details.role,
        status=details.status,
        expires=details.expires,
        linked=linked,
    )


class Accepting:
    """Showing an invitation to the person it was sent to, and accepting it as them."""

    def __init__(self, *, store: Store, gencove: GencoveClient, keys: LinkedKeys) -> None:
        self.store = store
        self.gencove = gencove
        self.keys = keys
        self._locks: KeyedLocks[str] = KeyedLocks()  # by invitation token

    async def card(self, token_or_link: str, user_id: str) -> Message:
        """The ephemeral card `/gencove accept` shows."""
        token = invitation_token(token_or_link)
        if token is None:
            return note(UNKNOWN_TOKEN)
        credentials = await self.keys.credentials_for(user_id)
        try:
            details = await self.gencove.get_invitation_by_token(token, credentials=credentials)
        except GencoveNotFound:
            return note(UNKNOWN_TOKEN)
        except GencoveUnauthorized:
            if credentials is None:
                raise
            return await self._card_for_refused_key(token)
        return accept_card(
            _card(details, linked=credentials is not None), note=STATUS_NOTES.get(details.status)
        )

    async def _card_for_refused_key(self, token: str) -> Message:
        """Gencove revoked the linked key: the card as for someone unlinked, so its
        Link-account button leads to linking a current key."""
        try:
            details = await self.gencove.get_invitation_by_token(token)
        except GencoveNotFound:
            return note(UNKNOWN_TOKEN)
        return accept_card(
            _card(details, linked=False), note=STATUS_NOTES.get(details.status) or KEY_REFUSED
        )

    async def accept(self, token: str, user_id: str, channel_id: str | None) -> Message:
        """Accept as the clicker; the outcome replaces the card."""
        if invitation_token(token) != token:
            return note(UNKNOWN_TOKEN)
        # One accept per invitation at a time in this process: a double click sends one PATCH.
        async with self._locks.lock(token):
            return await self._accept(token, user_id, channel_id)

    async def _accept(self, token: str, user_id: str, channel_id: str | None) -> Message:
        credentials = await self.keys.credentials_for(user_id)
        if credentials is None:
            return await self.card(token, user_id)
        try:
            before = await self.gencove.get_invitation_by_token(token, credentials=credentials)
        except GencoveNotFound:
            return note(UNKNOWN_TOKEN)
        except GencoveUnauthorized:
            return await self._card_for_refused_key(token)
        if before.status != "pending":
            return await self._not_pending(before, user_id)
        try:
            after = await self.gencove.accept_invitation(token, credentials)
        except GencoveForbidden:
            link = await self.store.read(lambda tx: tx.links.get(user_id))
            return note(NOT_YOURS.format(email=escape_mrkdwn(link.gencove_email if link else "?")))
        except GencoveUnauthorized:
            return await self._card_for_refused_key(token)
        except GencoveValidationError as exc:
            # It changed between the read and the accept, or Gencove refused for its own
            # reason: show what it is now, with Gencove's words if it is still pending.
            said = f":warning: Gencove said: {escape_mrkdwn(exc.message)}"
            try:
                now = await self.gencove.get_invitation_by_token(token, credentials=credentials)
            except GencoveError:
                return note(said)
            if now.status != "pending":
                return await self._not_pending(now, user_id)
            return accept_card(_card(now, linked=True), note=said)
        detail = {"organization": after.organization.name, "role": after.role}
        await self.store.write(
            lambda tx: tx.audit.add(
                actor_slack_id=user_id, action="accept", channel_id=channel_id, detail=detail
            )
        )
        return note(_joined(after))

    async def _not_pending(self, details: InvitationDetails, user_id: str) -> Message:
        """The card with the reason; "you joined" when it was this very user who accepted
        (a second click, or an accept from another device)."""
        if details.status == "accepted" and details.last_status.actor is not None:
            link = await self.store.read(lambda tx: tx.links.get(user_id))
            if link is not None and link.gencove_user_id == details.last_status.actor.id:
                return note(_joined(details))
        return accept_card(_card(details, linked=True), note=STATUS_NOTES.get(details.status))


def _joined(details: InvitationDetails) -> str:
    org = escape_mrkdwn(details.organization.name)
    role = escape_mrkdwn(details.role) if details.role else "the default role"
    return f":white_check_mark: You joined *{org}* on Gencove as {role}. Welcome!"
