"""Accepting an invitation as oneself, and the linked personal key that makes it possible.

Gencove accepts an invitation only for the calling user, so the Accept button uses the
clicker's own linked key — never the organization key.
"""

from __future__ import annotations

import hmac
import logging

from invite_bot.bot import Bot
from invite_bot.config.logs import redact_also
from invite_bot.domain.grammar import invitation_token
from invite_bot.domain.keyed import KeyedLocks
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.accounts.blocks import Card, accept_card
from invite_bot.gencove import (
    Credentials,
    GencoveError,
    GencoveForbidden,
    GencoveNotFound,
    GencoveUnauthorized,
    GencoveValidationError,
    InvitationDetails,
)
from invite_bot.slack.blockkit import Message, note
from invite_bot.store import Tx

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 500  # the link modal's input allows no more
_locks: KeyedLocks[str] = KeyedLocks()  # by invitation token

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


async def card(bot: Bot, token_or_link: str, user_id: str) -> Message:
    """The ephemeral card `/gencove accept` shows."""
    token = invitation_token(token_or_link)
    if token is None:
        return note(UNKNOWN_TOKEN)
    credentials = await bot.credentials_for(user_id)
    try:
        details = await bot.gencove.get_invitation_by_token(token, credentials=credentials)
    except GencoveNotFound:
        return note(UNKNOWN_TOKEN)
    except GencoveUnauthorized:
        if credentials is None:
            raise
        return await _card_for_refused_key(bot, token)
    return accept_card(
        _card(details, linked=credentials is not None), note=STATUS_NOTES.get(details.status)
    )


async def _card_for_refused_key(bot: Bot, token: str) -> Message:
    """Gencove revoked the linked key: the card as for someone unlinked, so its
    Link-account button leads to linking a current key."""
    try:
        details = await bot.gencove.get_invitation_by_token(token)
    except GencoveNotFound:
        return note(UNKNOWN_TOKEN)
    return accept_card(
        _card(details, linked=False), note=STATUS_NOTES.get(details.status) or KEY_REFUSED
    )


async def accept(bot: Bot, token: str, user_id: str, channel_id: str | None) -> Message:
    """Accept as the clicker; the outcome replaces the card."""
    if invitation_token(token) != token:
        return note(UNKNOWN_TOKEN)
    # One accept per invitation at a time in this process: a double click sends one PATCH.
    async with _locks.lock(token):
        return await _accept(bot, token, user_id, channel_id)


async def _accept(bot: Bot, token: str, user_id: str, channel_id: str | None) -> Message:
    credentials = await bot.credentials_for(user_id)
    if credentials is None:
        return await card(bot, token, user_id)
    try:
        before = await bot.gencove.get_invitation_by_token(token, credentials=credentials)
    except GencoveNotFound:
        return note(UNKNOWN_TOKEN)
    except GencoveUnauthorized:
        return await _card_for_refused_key(bot, token)
    if before.status != "pending":
        return await _not_pending(bot, before, user_id)
    try:
        after = await bot.gencove.accept_invitation(token, credentials)
    except GencoveForbidden:
        link = await bot.store.read(lambda tx: tx.links.get(user_id))
        return note(NOT_YOURS.format(email=escape_mrkdwn(link.gencove_email if link else "?")))
    except GencoveUnauthorized:
        return await _card_for_refused_key(bot, token)
    except GencoveValidationError as exc:
        # It changed between the read and the accept, or Gencove refused for its own
        # reason: show what it is now, with Gencove's words if it is still pending.
        said = f":warning: Gencove said: {escape_mrkdwn(exc.message)}"
        try:
            now = await bot.gencove.get_invitation_by_token(token, credentials=credentials)
        except GencoveError:
            return note(said)
        if now.status != "pending":
            return await _not_pending(bot, now, user_id)
        return accept_card(_card(now, linked=True), note=said)
    detail = {"organization": after.organization.name, "role": after.role}
    await bot.store.write(
        lambda tx: tx.audit.add(
            actor_slack_id=user_id, action="accept", channel_id=channel_id, detail=detail
        )
    )
    return note(_joined(after))


def _joined(details: InvitationDetails) -> str:
    org = escape_mrkdwn(details.organization.name)
    role = escape_mrkdwn(details.role) if details.role else "the default role"
    return f":white_check_mark: You joined *{org}* on Gencove as {role}. Welcome!"


async def _not_pending(bot: Bot, details: InvitationDetails, user_id: str) -> Message:
    """The card with the reason; "you joined" when it was this very user who accepted
    (a second click, or an accept from another device)."""
    if details.status == "accepted" and details.last_status.actor is not None:
        link = await bot.store.read(lambda tx: tx.links.get(user_id))
        if link is not None and link.gencove_user_id == details.last_status.actor.id:
            return note(_joined(details))
    return accept_card(_card(details, linked=True), note=STATUS_NOTES.get(details.status))


def key_problem(bot: Bot, api_key: str) -> str | None:
    """Why `api_key` cannot be a personal Gencove key, without asking Gencove; or None."""
    key = api_key.strip()
    if (
        not key
        or len(key) > MAX_KEY_LENGTH
        or not key.isascii()
        or not key.isprintable()
        or any(ch.isspace() for ch in key)
    ):
        return "That does not look like a Gencove API key."
    org_key = bot.settings.gencove_api_key.get_secret_value().strip()
    if hmac.compare_digest(key.encode(), org_key.encode()):
        # Accepting with it is impossible, and acting "as you" would record the organization.
        return "That is the organization's key, which the bot already uses: paste your own."
    return None


async def link(bot: Bot, user_id: str, api_key: str, channel_id: str | None) -> str | None:
    """Check and store a personal key; returns an error for the modal field, or None."""
    assert bot.vault is not None
    problem = key_problem(bot, api_key)
    if problem is not None:
        return problem
    key = api_key.strip()
    redact_also(key)  # from now on this key never shows in a log line, linked or not
    credentials = Credentials.api_key(key)
    try:
        user = await bot.gencove.current_user(credentials)
    except (GencoveUnauthorized, GencoveForbidden):
        return "Gencove did not accept this API key. Copy it again from Gencove."
    except GencoveError as exc:
        return f"Could not check the key with Gencove just now: {exc.message}"[:150]
    ciphertext = bot.vault.encrypt(key)

    def link(tx: Tx) -> None:
        tx.links.save(
            user_id, ciphertext=ciphertext, gencove_user_id=user.id, gencove_email=user.email
        )
        tx.audit.add(
            actor_slack_id=user_id,
            action="link",
            channel_id=channel_id,
            detail={"gencove_user": user.id},
        )

    await bot.store.write(link)
    return None


async def whoami(bot: Bot, user_id: str) -> str:
    if bot.vault is None:
        return "Linking accounts is not set up on this bot, so no Gencove account is linked."
    stored = await bot.store.read(lambda tx: tx.links.get(user_id))
    if stored is None:
        return "No Gencove account is linked to you. Use `/gencove link` to link one."
    credentials = await bot.credentials_for(user_id)
    if credentials is None:
        return "Your linked key can no longer be read by the bot. Link it again: `/gencove link`."
    try:
        user = await bot.gencove.current_user(credentials)
    except GencoveUnauthorized:
        return KEY_REFUSED
    name = f"{escape_mrkdwn(user.name)} " if user.name else ""
    return f"You are linked to the Gencove user {name}({escape_mrkdwn(user.email)})."
