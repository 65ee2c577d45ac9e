"""Small builders for the records the tests feed the store, and the type of the store
tests' `open_store` fixture (tests/store/conftest.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from invite_bot.store import KnownInvitation, Store, Transition

OpenStore = Callable[[], Awaitable[Store]]

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def invitation(
    invitation_id: str = "inv-1",
    *,
    email: str = "bob@lab.org",
    status: str = "pending",
    channel_id: str | None = None,
    message_ts: str | None = None,
    block_id: str | None = None,
    inviter_slack_id: str | None = None,
    at: datetime = T0,
) -> KnownInvitation:
    return KnownInvitation(
        id=invitation_id,
        email=email,
        role="member",
        status=status,
        expires=None,
        inviter_slack_id=inviter_slack_id,
        channel_id=channel_id,
        message_ts=message_ts,
        block_id=block_id,
        first_seen=at,
        updated_at=at,
    )


def transition(
    invitation_id: str = "inv-1",
    new_status: str = "accepted",
    *,
    old_status: str | None = "pending",
    email: str = "bob@lab.org",
    at: datetime = T0,
) -> Transition:
    return Transition(
        invitation_id=invitation_id,
        email=email,
        role="member",
        old_status=old_status,
        new_status=new_status,
        expires=None,
        actor_name=None,
        at=at,
    )
