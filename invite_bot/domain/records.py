"""What the store hands out and takes in: frozen dataclasses, so no caller can mutate a row
behind the database's back or trigger lazy I/O by touching an attribute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# notify: a channel notification; reminder: one before expiry (channel or DM); dm: a
# transition told to its inviter; message_update: the bot's result message brought up to date.
OutboxKind = Literal["notify", "message_update", "reminder", "dm", "request_reminder"]
OutboxState = Literal["pending", "sending", "sent", "failed"]
# created: invited now; existing: already pending; member: already in the organization;
# unsure: Gencove's answer to the create was lost and the invitation was not found after.
# cancelled: the job was asked to stop before this address was sent.
JobOutcome = Literal["created", "existing", "member", "unsure", "failed", "cancelled"]


@dataclass(frozen=True, slots=True)
class KnownInvitation:
    """An invitation of the organization as the bot last saw it, plus where the bot
    posted its result message (so a later transition can update that message)."""

    id: str
    email: str
    role: str
    status: str
    expires: datetime | None
    inviter_slack_id: str | None
    channel_id: str | None
    message_ts: str | None
    block_id: str | None
    first_seen: datetime
    updated_at: datetime
    changed_by: str | None = None  # Slack user ID, or a Gencove name, behind `status`


@dataclass(frozen=True, slots=True)
class Transition:
    """One status change the watcher detected between two polls (old_status None = new)."""

    invitation_id: str
    email: str
    role: str
    old_status: str | None
    new_status: str
    expires: datetime | None
    actor_name: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A Slack post (or message update) the store promised to deliver exactly once.

    `dedupe_key` goes into the Slack message metadata: after a crash between 'sending' and
    'sent' the sender finds it in the channel history instead of posting twice.
    """

    id: int
    kind: OutboxKind
    invitation_id: str
    new_status: str
    channel_id: str
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    created_at: datetime
    slack_ts: str | None
    dedupe_key: str
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel that receives invitation notifications."""

    channel_id: str
    by_user: str
    since: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what, kept so an admin can answer "who revoked this?" later."""

    id: int
    at: datetime
    actor_slack_id: str | None
    action: str
    invitation_id: str | None
    email: str | None
    channel_id: str | None
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    """A Slack user's personal Gencove key; `ciphertext` is encrypted by the caller."""

    slack_user_id: str
    ciphertext: str
    gencove_user_id: str
    gencove_email: str
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class NewInviteJob:
    """A multi-address `/gencove invite` about to start; stored first so a crash mid-way
    can be resumed instead of leaving half the addresses uninvited and unreported."""

    slack_user_id: str
    channel_id: str
    response_url: str | None
    role: str | None
    addresses: Sequence[str]
    delivery_key: str | None = None
    # A job that shows its result in a message the bot already posted (a re-invite updates
    # the message it was clicked in) instead of posting one.
    message_channel_id: str | None = None
    message_ts: str | None = None
    kind: str = "invite"  # "bulk": a pasted list or a CSV, with a progress message
    roles: Mapping[str, str] = field(default_factory=dict)  # per address, over `role`


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What happened to one address of a job, to record (`Jobs.record_items`)."""

    email: str
    outcome: JobOutcome
    invitation_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class InviteJobItem:
    """One address of a job; `outcome` is None until the invitation call for it finished."""

    email: str
    outcome: JobOutcome | None
    invitation_id: str | None
    error: str | None
    role: str | None = None  # this address's own role (a CSV row's), else the job's


@dataclass(frozen=True, slots=True)
class InviteJob:
    """A stored invite job with its addresses in the order the user typed them."""

    id: int
    slack_user_id: str
    channel_id: str
    response_url: str | None
    role: str | None
    delivery_key: str | None
    created_at: datetime
    message_channel_id: str | None
    message_ts: str | None
    owner: str | None
    lease_expires: datetime | None
    finished_at: datetime | None
    items: tuple[InviteJobItem, ...] = field(default=())
    kind: str = "invite"
    cancelled_at: datetime | None = None

    def role_of(self, item: InviteJobItem) -> str:
        return item.role if item.role is not None else (self.role or "")

    @property
    def pending_emails(self) -> list[str]:
        """Addresses still to be invited when the job is resumed."""
        return [item.email for item in self.items if item.outcome is None]


RequestStatus = Literal["open", "approved", "denied", "withdrawn", "expired"]


@dataclass(frozen=True, slots=True)
class NewInviteRequest:
    """A member's ask to invite `addresses`, about to be stored."""

    requester_slack_id: str
    channel_id: str
    addresses: Sequence[str]
    role: str | None
    reason: str | None
    expires_at: datetime
    delivery_key: str | None = None


@dataclass(frozen=True, slots=True)
class RequestMessage:
    """Where a request was posted (`message_ts` None until Slack answered)."""

    channel_id: str
    message_ts: str | None


@dataclass(frozen=True, slots=True)
class InviteRequest:
    """A stored invite request and where it was posted."""

    id: int
    requester_slack_id: str
    channel_id: str
    addresses: tuple[str, ...]
    role: str | None
    reason: str | None
    status: RequestStatus
    delivery_key: str | None
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    job_id: int | None
    shown_status: str | None
    messages: tuple[RequestMessage, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Reinvite:
    """A re-invite of invitation `invitation_id` by `by_user`; `new_invitation_id` is None
    until the new invitation exists."""

    invitation_id: str
    email: str
    by_user: str
    at: datetime
    new_invitation_id: str | None


@dataclass(frozen=True, slots=True)
class BulkDraft:
    """A bulk invite's checked rows waiting for its asker's click ("Invite the N good
    ones" or "Cancel"); `id` is 16 hex digits, derived from the request that sent the list."""

    id: str
    user_id: str
    channel_id: str  # where the progress message goes
    role: str | None  # for rows that name none
    rows: tuple[tuple[str, str | None], ...]  # (address, role), in the list's order
    source: str  # "Your list", or the file's name


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
