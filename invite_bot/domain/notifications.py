"""Who hears what, and when: the notification decisions, without I/O.

- `remind_before(text)`: the `INVITE_REMIND_BEFORE` setting (`24h`, `90m`, `2d`, `off`).
- `reminder_due(expires, now, before)`: whether a pending invitation is due its reminder.
- `personal_recipient(...)`: the inviter who gets a DM of a transition, if anyone (never
  for one's own action, never when they turned `notify me` off).
- `plan_posts(notices)`: what one delivery round posts to one channel: each notice alone,
  or — more than `SUMMARY_ABOVE` of them — one summary, grouped by what happened.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Literal, TypeAlias, TypeVar

DEFAULT_REMIND_BEFORE = "24h"
SUMMARY_ABOVE = 5  # more notices than this to one channel at once become one summary
PERSONAL_STATUSES = frozenset({"accepted", "expired", "revoked"})

NoticeKind: TypeAlias = Literal["notify", "reminder", "dm"]

_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|d|w)?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_REMIND = timedelta(days=60)


def remind_before(text: str) -> timedelta | None:
    """`24h` → 24 hours; `off` (or `0`) → None: no reminders. ValueError if unreadable."""
    value = text.strip().lower()
    if value in {"off", "none", "no", "false", "0"}:
        return None
    match = _DURATION.fullmatch(value)
    if match is None:
        raise ValueError("must be a duration such as 24h, 90m or 2d, or 'off'")
    seconds = float(match.group("n")) * _UNITS[match.group("unit") or "s"]
    if seconds <= 0:
        return None
    if seconds > _MAX_REMIND.total_seconds():
        raise ValueError("must be at most 60 days")
    return timedelta(seconds=seconds)


def reminder_due(expires: datetime | None, now: datetime, before: timedelta | None) -> bool:
    """A pending invitation is due its reminder once it expires less than `before` from now
    (and has not expired yet: an expired one gets the expiry notification instead)."""
    if before is None or expires is None:
        return False
    return now < expires <= now + before


def personal_recipient(
    *,
    new_status: str,
    inviter: str | None,
    actor: str | None,
    opted_out: Collection[str],
) -> str | None:
    """The Slack user to DM about a transition: the inviter (invitations made from Slack),
    when it was accepted, expired or revoked by someone else, unless they said `notify me
    off`. `actor` is whoever moved it (a Slack user ID when done from Slack)."""
    if inviter is None or new_status not in PERSONAL_STATUSES:
        return None
    if actor == inviter or inviter in opted_out:
        return None
    return inviter


N = TypeVar("N")


@dataclass(frozen=True, slots=True)
class Notice(Generic[N]):
    """One queued notice for a channel: its kind, the status it tells of, its item."""

    kind: NoticeKind
    status: str
    item: N


@dataclass(frozen=True, slots=True)
class Group(Generic[N]):
    """Notices of one kind and status inside a summary, in the order they were queued."""

    kind: NoticeKind
    status: str
    items: tuple[N, ...]


@dataclass(frozen=True, slots=True)
class Single(Generic[N]):
    item: N


@dataclass(frozen=True, slots=True)
class Summary(Generic[N]):
    groups: tuple[Group[N], ...]

    @property
    def items(self) -> tuple[N, ...]:
        return tuple(item for group in self.groups for item in group.items)


Post: TypeAlias = Single[N] | Summary[N]

_GROUP_ORDER = {"pending": 0, "accepted": 1, "revoked": 2, "expired": 3}


def plan_posts(notices: Sequence[Notice[N]], *, above: int = SUMMARY_ABOVE) -> list[Post[N]]:
    """The posts for the notices waiting for one channel: one each up to `above`, else one
    summary (reminders first, then by status: invited, accepted, revoked, expired)."""
    if len(notices) <= above:
        return [Single(n.item) for n in notices]
    groups: dict[tuple[NoticeKind, str], list[N]] = {}
    for notice in notices:
        groups.setdefault((notice.kind, notice.status), []).append(notice.item)
    ordered = sorted(
        groups.items(),
        key=lambda kv: (kv[0][0] != "reminder", _GROUP_ORDER.get(kv[0][1], 9), kv[0][1]),
    )
    return [Summary(tuple(Group(kind, status, tuple(items)) for (kind, status), items in ordered))]
