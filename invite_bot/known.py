"""What the bot records of an invitation Gencove showed it."""

from __future__ import annotations

from datetime import UTC, datetime

from invite_bot.gencove import Invitation
from invite_bot.store import KnownInvitation


def actor_name(invitation: Invitation) -> str | None:
    """Who Gencove says moved the invitation to its status, if it says."""
    actor = invitation.last_status.actor
    return actor.name if actor and actor.name else None


def known_invitation(
    invitation: Invitation,
    *,
    email: str | None = None,
    inviter_slack_id: str | None = None,
    changed_by: str | None = None,
    now: datetime | None = None,
) -> KnownInvitation:
    """The store's record of `invitation`; the store keeps message locations it had."""
    now = now or datetime.now(UTC)
    return KnownInvitation(
        id=invitation.id,
        email=(invitation.email or email or "").lower(),
        role=invitation.role,
        status=invitation.status,
        expires=invitation.expires,
        inviter_slack_id=inviter_slack_id,
        channel_id=None,
        message_ts=None,
        block_id=None,
        first_seen=now,
        updated_at=now,
        changed_by=changed_by,
    )
