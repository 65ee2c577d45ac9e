"""The Gencove sandbox's records: the organization, its users, invitations and their
status history, and each API request as it was received and answered."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from invite_bot.playground.gencove.ledger import Ledger

DEFAULT_TTL = timedelta(days=7)
STATUSES: tuple[str, ...] = ("pending", "accepted", "expired", "revoked")
LIST_STATUS_CHOICES: tuple[str, ...] = ("accepted", "all", "expired", "pending", "revoked")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    """DRF's DateTimeField rendering: ISO 8601, UTC as ``Z``."""
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"datetime must be timezone-aware: {value!r}")
    return value


@dataclass(frozen=True)
class Organization:
    id: uuid.UUID
    name: str


@dataclass(eq=False)
class FakeUser:
    id: uuid.UUID
    email: str
    name: str
    api_key: str
    admin: bool = False
    member: bool = False
    role: str | None = None
    created: datetime = field(default_factory=utcnow)


class StatusChange(NamedTuple):
    """One entry of an invitation's status history (``last_status`` is the last one)."""

    id: uuid.UUID
    status: str
    created: datetime
    actor_id: uuid.UUID
    actor_name: str


@dataclass(eq=False)
class FakeInvitation:
    id: uuid.UUID
    email: str
    role: str
    token: str
    created: datetime
    expires: datetime
    status_changes: list[StatusChange]
    _owner: Ledger | None = field(default=None, repr=False)

    @property
    def last_status(self) -> StatusChange:
        if self._owner is not None:
            self._owner.sweep_expired()
        return self.status_changes[-1]

    @property
    def status(self) -> str:
        """Current status (pending/accepted/expired/revoked), lazily expired."""
        return self.last_status.status


def order_key(inv: FakeInvitation) -> tuple[datetime, int]:
    """Creation order (the listing's order, reversed)."""
    return (inv.created, inv.id.int)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    authorization: str | None
    body: bytes = b""
    received: datetime = field(default_factory=utcnow)
    status: int | None = None  # None until answered (or when the answer was a reset)
    seconds: float | None = None
