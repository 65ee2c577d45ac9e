"""One address as a message shows it: a pure value every message builder takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class InviteRow:
    """One address of an invite command, as the result message shows it."""

    email: str
    status: str  # pending | accepted | expired | revoked | failed | member | unsure | working
    role: str = ""
    invitation_id: str | None = None
    expires: datetime | None = None
    error: str | None = None
    changed_by: str | None = None  # Slack user ID (revoked from Slack) or a Gencove name
    existing: bool = False  # the invitation was already pending before this command
    reinvited_by: str | None = None  # a Slack user ID: the address was invited again
