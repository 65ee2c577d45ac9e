"""Accepting an invitation as oneself, and the linked personal key that makes it possible.

Gencove accepts an invitation only for the calling user, so the Accept button uses the
clicker's own linked key — never the organization key.
"""

from __future__ import annotations

import logging

from invite_bot.core.grammar import invitation_token
from invite_bot.core.text import escape_mrkdwn
from invite_bot.gencove import (
    Credentials,
    GencoveError,
    GencoveForbidden,
    GencoveNotFound,
    GencoveUnauthorized,
    GencoveValidationError,
    InvitationDetails,
)
from invite_bot.slack.blocks import Card, Message, accept_card, ephemeral
from invite_bot.slack.context import Bot

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


async def card(bot: Bot, token_or_link: str, user_id: str) -> Message:
    """The ephemeral card `/gencove accept` shows."""
    token = invitation_token(token_or_link)
    if token is None:
        return ephemeral(UNKNOWN_TOKEN)
    credentials = await bot.credentials_for(user_id)
    try:
        details = await bot.gencove.get_invitation_by_token(token, credentials=credentials)
    except GencoveNotFound:
        return ephemeral(UNKNOWN_TOKEN)
    return accept_card(
        _card(details, linked=credentials is not None), note=STATUS_NOTES.get(details.status)
    )


async def accept(bot: Bot, token: str, user_id: str, channel_id: str | None) -> Message:
    """Accept as the clicker; the outcome replaces the card."""
    credentials = await bot.credentials_for(user_id)
    if credentials is None:
        return await card(bot, token, user_id)
    try:
        before = await bot.gencove.get_invitation_by_token(token, credentials=credentials)
    except GencoveNotFound:
        return ephemeral(UNKNOWN_TOKEN)
    except GencoveUnauthorized:
        return ephemeral(KEY_REFUSED)
    if before.status != "pending":
        return accept_card(_card(before, linked=True), note=STATUS_NOTES.get(before.status))
    try:
        after = await bot.gencove.accept_invitation(token, credentials)
    except GencoveForbidden:
        link = await bot.store.get_link(user_id)
        return ephemeral(NOT_YOURS.format(email=escape_mrkdwn(link.gencove_email if link else "?")))
    except GencoveUnauthorized:
        return ephemeral(KEY_REFUSED)
    except GencoveValidationError as exc:
        # It changed between the read and the accept: show what it is now.
        try:
            now = await bot.gencove.get_invitation_by_token(token, credentials=credentials)
        except GencoveError:
            return ephemeral(f":warning: Gencove said: {escape_mrkdwn(exc.message)}")
        return accept_card(_card(now, linked=True), note=STATUS_NOTES.get(now.status))
    await bot.store.audit(
        actor_slack_id=user_id,
        action="accept",
        channel_id=channel_id,
        detail={"organization": after.organization.name, "role": after.role},
    )
    org = escape_mrkdwn(after.organization.name)
    role = escape_mrkdwn(after.role) if after.role else "the default role"
    return ephemeral(f":white_check_mark: You joined *{org}* on Gencove as {role}. Welcome!")


async def link(bot: Bot, user_id: str, api_key: str, channel_id: str | None) -> str | None:
    """Check and store a personal key; returns an error for the modal field, or None."""
    assert bot.vault is not None
    key = api_key.strip()
    if not key or any(ch.isspace() for ch in key) or len(key) > 500:
        return "That does not look like a Gencove API key."
    credentials = Credentials.api_key(key)
    try:
        user = await bot.gencove.current_user(credentials)
    except (GencoveUnauthorized, GencoveForbidden):
        return "Gencove did not accept this API key. Copy it again from Gencove."
    except GencoveError as exc:
        return f"Could not check the key with Gencove just now: {exc.message}"[:150]
    await bot.store.save_link(
        user_id,
        ciphertext=bot.vault.encrypt(key),
        gencove_user_id=user.id,
        gencove_email=user.email,
    )
    await bot.store.audit(
        actor_slack_id=user_id,
        action="link",
        channel_id=channel_id,
        detail={"gencove_user": user.id},
    )
    return None


async def whoami(bot: Bot, user_id: str) -> str:
    stored = await bot.store.get_link(user_id)
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
