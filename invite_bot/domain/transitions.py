"""Status changes of invitations, decided without I/O.

Every `Transition` of the code base is made by `transition()`: by the watcher (through
`diff()` and `located()`), by a revoke and by an invite.

The watcher's poll, as pure steps (the caller does the reading and the writing):

1. `diff(pending, known, in_flight, now)`: Gencove's pending list against what the store
   knows. An invitation the store has never seen is new; one the store holds as pending
   but Gencove no longer lists has left `pending`: *expired* when its `expires` passed
   (no request needed), otherwise it is to be sought in the other status lists.
2. `located(to_seek, hits, now)`, once per status list read (`LOOKUP_ORDER`): what a
   look-up found of the invitations sought becomes transitions; the rest is still sought.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from invite_bot.domain.command.types import Status
from invite_bot.domain.records import KnownInvitation, Transition

# The lists an invitation that left `pending` early is looked for in, in this order.
LOOKUP_ORDER: tuple[Status, ...] = ("accepted", "revoked", "expired")


class _Actor(Protocol):
    @property
    def name(self) -> str | None: ...


class _StatusChange(Protocol):
    @property
    def created(self) -> datetime | None: ...

    @property
    def actor(self) -> _Actor | None: ...


class Listed(Protocol):
    """An invitation as Gencove lists it (`invite_bot.gencove.Invitation`): core code does
    not import Gencove's, only reads these fields."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str | None: ...

    @property
    def role(self) -> str: ...

    @property
    def expires(self) -> datetime: ...

    @property
    def status(self) -> str: ...

    @property
    def last_status(self) -> _StatusChange: ...


@dataclass(frozen=True, slots=True)
class Diff:
    """Transitions decided so far, and the invitations (by id) still to be looked up."""

    transitions: tuple[Transition, ...] = ()
    to_seek: Mapping[str, KnownInvitation] = field(default_factory=dict)


def transition(
    subject: Listed | KnownInvitation,
    *,
    old: str | None,
    new: str,
    actor: str | None,
    at: datetime,
    email: str | None = None,
) -> Transition:
    """The change of `subject` from `old` (None: newly seen) to `new`.

    The address is Gencove's, lower-cased (`email` when Gencove shows none), or the
    store's as recorded; the role and expiry are `subject`'s.
    """
    if isinstance(subject, KnownInvitation):
        address = subject.email
    else:
        address = (subject.email or email or "").lower()
    return Transition(
        invitation_id=subject.id,
        email=address,
        role=subject.role,
        old_status=old,
        new_status=new,
        expires=subject.expires,
        actor_name=actor,
        at=at,
    )


def actor_name(invitation: Listed) -> str | None:
    """Who Gencove says moved the invitation to its status, if it says."""
    actor = invitation.last_status.actor
    return actor.name if actor and actor.name else None


def known_invitation(
    invitation: Listed,
    *,
    email: str | None = None,
    inviter_slack_id: str | None = None,
    changed_by: str | None = None,
    now: datetime,
) -> KnownInvitation:
    """The store's record of `invitation` (the store keeps message locations it had)."""
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


def observed(invitation: Listed, *, old: str | None, now: datetime) -> Transition:
    """The change Gencove shows: to the invitation's status, by whom and when Gencove
    says (`now` when it does not say when)."""
    return transition(
        invitation,
        old=old,
        new=invitation.status,
        actor=actor_name(invitation),
        at=invitation.last_status.created or now,
    )


def diff(
    pending: Iterable[Listed],
    known: Iterable[KnownInvitation],
    in_flight: Collection[str],
    now: datetime,
) -> Diff:
    """Gencove's pending invitations against the store's.

    `known`: the store's records of every invitation it holds as pending, and of any
    invitation in `pending` it has a record of (in whatever status). `in_flight`: the
    (lower-case) addresses an invite job is still inviting; the job records and
    announces those invitations itself, so they are left to it.
    """
    by_id = {k.id: k for k in known}
    listed: set[str] = set()
    found: list[Transition] = []
    for invitation in pending:
        listed.add(invitation.id)
        if (invitation.email or "").lower() in in_flight:
            continue
        if invitation.id not in by_id:
            found.append(observed(invitation, old=None, now=now))
    to_seek: dict[str, KnownInvitation] = {}
    for k in by_id.values():
        if k.status != "pending" or k.id in listed:
            continue
        if k.expires is not None and k.expires <= now:
            found.append(transition(k, old="pending", new="expired", actor=None, at=k.expires))
        else:
            to_seek[k.id] = k
    return Diff(tuple(found), to_seek)


def located(to_seek: Mapping[str, KnownInvitation], hits: Iterable[Listed], now: datetime) -> Diff:
    """What a look-up found of the invitations sought: a transition from `pending` to the
    status Gencove shows for each (once, however often it was listed); the others are
    still to be sought."""
    rest = dict(to_seek)
    found: list[Transition] = []
    for invitation in hits:
        if rest.pop(invitation.id, None) is not None:
            found.append(observed(invitation, old="pending", now=now))
    return Diff(tuple(found), rest)
