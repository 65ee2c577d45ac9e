"""The values a `/gencove` command becomes: one frozen dataclass per subcommand.

`Command` is their union; `grammar.parse_command` builds them, the Slack listeners act on
them. `Status` and `STATUSES` are the invitation statuses one can list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypeAlias

__all__ = [
    "COMMAND",
    "STATUSES",
    "Accept",
    "Audit",
    "Command",
    "Help",
    "Invite",
    "InviteModal",
    "Link",
    "ListInvitations",
    "Notify",
    "NotifyAction",
    "Reinvite",
    "Requests",
    "Revoke",
    "RevokeByEmail",
    "RevokeById",
    "RevokeTarget",
    "Status",
    "Unlink",
    "Usage",
    "WhoAmI",
]

COMMAND = "/gencove"

Status: TypeAlias = Literal["pending", "accepted", "expired", "revoked", "all"]
STATUSES: tuple[Status, ...] = ("pending", "accepted", "expired", "revoked", "all")
NotifyAction: TypeAlias = Literal["here", "off", "show", "me", "me_off"]


@dataclass(frozen=True, slots=True)
class Help:
    """Show the help; `unknown_word` is the word we did not understand, if any."""

    unknown_word: str | None = None


@dataclass(frozen=True, slots=True)
class Invite:
    """Invite the addresses in `addresses_text` (still to be parsed), with `role` if given."""

    addresses_text: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class InviteModal:
    """`invite` without addresses: open the invite form, role pre-selected if given."""

    role: str | None = None


@dataclass(frozen=True, slots=True)
class ListInvitations:
    """List the organization's invitations with this status."""

    status: Status = "pending"


@dataclass(frozen=True, slots=True)
class RevokeByEmail:
    """Revoke the pending invitation(s) for this normalised address."""

    email: str


@dataclass(frozen=True, slots=True)
class RevokeById:
    """Revoke the invitation with this id (canonical lower-case UUID)."""

    invitation_id: str


RevokeTarget: TypeAlias = RevokeByEmail | RevokeById


@dataclass(frozen=True, slots=True)
class Revoke:
    """Revoke one or more invitations, de-duplicated, in the order given."""

    targets: tuple[RevokeTarget, ...]


@dataclass(frozen=True, slots=True)
class Reinvite:
    """Invite this normalised address again, with the role of its last invitation."""

    email: str


@dataclass(frozen=True, slots=True)
class Accept:
    """Show the invitation behind `token` (taken from a token or an invitation link)."""

    token: str


@dataclass(frozen=True, slots=True)
class Link:
    """Open the form to link a personal Gencove API key."""


@dataclass(frozen=True, slots=True)
class Unlink:
    """Forget the user's linked Gencove API key."""


@dataclass(frozen=True, slots=True)
class WhoAmI:
    """Show which Gencove user the linked key belongs to."""


@dataclass(frozen=True, slots=True)
class Requests:
    """Show the open invite requests (an inviter: all of them; a member: their own)."""


@dataclass(frozen=True, slots=True)
class Audit:
    """Export the audit log of the last `since` as a CSV (inviters only)."""

    since: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Notify:
    """Subscribe this channel (`here`), unsubscribe it (`off`), `show` subscriptions, or
    turn the DMs about one's own invitations on (`me`) or off (`me_off`)."""

    action: NotifyAction = "show"


@dataclass(frozen=True, slots=True)
class Usage:
    """A user mistake in a known subcommand.

    `problem` is ready-to-post mrkdwn: any user text in it is already escaped.
    """

    subcommand: str
    problem: str


Command: TypeAlias = (
    Help
    | Invite
    | InviteModal
    | ListInvitations
    | Revoke
    | Reinvite
    | Accept
    | Link
    | Unlink
    | WhoAmI
    | Notify
    | Requests
    | Audit
    | Usage
)
