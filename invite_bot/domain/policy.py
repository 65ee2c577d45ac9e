"""Who may do what, and which invitations may go out.

Checks run in this order, the first refusal wins: inviter (`decide_inviter`), addresses
(`check_addresses`: none, too many, malformed, domain), then the rate limit (`check_rate`)
last, so that a refused batch never uses up anyone's quota.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from invite_bot.domain.addresses import AddressParse, is_allowed
from invite_bot.domain.ratelimit import Allowance, Rate
from invite_bot.domain.text import describe_duration, human_list

__all__ = [
    "ALLOWED",
    "BATCH_OVER_RATE",
    "DOMAIN_NOT_ALLOWED",
    "INVALID_ADDRESSES",
    "MISLEADING_ADDRESSES",
    "NOT_AN_INVITER",
    "NOT_A_WORKSPACE_ADMIN",
    "NO_ADDRESSES",
    "RATE_LIMITED",
    "TOO_MANY_ADDRESSES",
    "Admins",
    "Allowed",
    "Decision",
    "Lookup",
    "Refused",
    "check_addresses",
    "check_domains",
    "check_rate",
    "decide_inviter",
    "needs_lookup",
    "parse_admins",
]

# Members read these: people's words, never the bot's setting names (those are for the
# admin-facing `/gencove notify` and `invite-bot check`).
NOT_AN_INVITER = (
    "Only the people who manage Gencove invitations here can do that; ask one of them, "
    "or use `/gencove invite` to ask."
)
NOT_A_WORKSPACE_ADMIN = (
    "Only the workspace's admins and owners manage Gencove invitations here, so only they "
    "can do that; ask one of them, or use `/gencove invite` to ask."
)
NO_ADDRESSES = "Nothing was sent: give at least one email address."
TOO_MANY_ADDRESSES = (
    "Nothing was sent: that is {count} addresses and one invite takes at most {max_count}. "
    "Split them into smaller batches."
)
INVALID_ADDRESSES = (
    "Nothing was sent: these are not valid email addresses: {addresses}. "
    "Fix them and send the whole list again."
)
MISLEADING_ADDRESSES = (
    "Nothing was sent: these may not be the addresses they look like: {addresses}. A link "
    "must go to the address its label shows, and a domain may not mix alphabets (such as a "
    "Cyrillic letter in a Latin name). Type each address out plainly."
)
DOMAIN_NOT_ALLOWED = (
    "Nothing was sent: invitations can only go to addresses at {domains}. Not allowed: {addresses}."
)
RATE_LIMITED = (
    "Nothing was sent: that is {requested} invitations and you can send {remaining} more "
    "right now (the limit is {rate}). Try again in {wait}."
)
BATCH_OVER_RATE = (
    "Nothing was sent: {requested} invitations is more than the limit of {rate}. "
    "Send them in smaller batches."
)
REVOKE_RATE_LIMITED = (
    "Nothing was revoked: that is {requested} revokes and you can make {remaining} more "
    "right now (the limit is {rate}). Try again in {wait}."
)
REVOKE_BATCH_OVER_RATE = (
    "Nothing was revoked: {requested} revokes is more than the limit of {rate}. "
    "Revoke them in smaller batches."
)

_USER = re.compile(r"[UW][A-Z0-9]{1,31}")
_GROUP = re.compile(r"S[A-Z0-9]{1,31}")


@dataclass(frozen=True, slots=True)
class Admins:
    """Inviters from `INVITE_ADMINS`: Slack user IDs and user-group IDs."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @property
    def configured(self) -> bool:
        """False when `INVITE_ADMINS` is empty: workspace admins and owners invite."""
        return bool(self.users or self.groups)


@dataclass(frozen=True, slots=True)
class Allowed:
    """Go ahead."""


ALLOWED = Allowed()


@dataclass(frozen=True, slots=True)
class Refused:
    """Stop, and tell the user `message` (mrkdwn, user text already escaped)."""

    message: str


Decision: TypeAlias = Allowed | Refused
Lookup: TypeAlias = Literal["none", "users.info", "groups"]


def parse_admins(raw: str) -> Admins:
    """Parse `INVITE_ADMINS`: comma-separated `U…`/`W…` users and `S…` user groups.

    Raises ValueError naming every entry that is neither.
    """
    users: set[str] = set()
    groups: set[str] = set()
    bad: list[str] = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        # Slack IDs are upper-case; a lower-case copy is the same ID.
        slack_id = entry.upper()
        if _USER.fullmatch(slack_id):
            users.add(slack_id)
        elif _GROUP.fullmatch(slack_id):
            groups.add(slack_id)
        else:
            bad.append(entry)
    if bad:
        raise ValueError(
            "not Slack user (U…, W…) or user-group (S…) IDs: " + ", ".join(map(repr, bad))
        )
    return Admins(users=frozenset(users), groups=frozenset(groups))


def needs_lookup(user_id: str, admins: Admins) -> Lookup:
    """Which Slack lookup `decide_inviter` needs for this user.

    `users.info` (is_admin / is_owner) when no admins are configured; `groups` (members
    of `admins.groups`) when the user is not listed directly; otherwise `none`.
    """
    if not admins.configured:
        return "users.info"
    if user_id in admins.users or not admins.groups:
        return "none"
    return "groups"


def decide_inviter(
    user_id: str,
    admins: Admins,
    *,
    group_members: Mapping[str, frozenset[str]] | None = None,
    is_workspace_admin: bool | None = None,
) -> Decision:
    """May `user_id` invite, list, revoke and manage notifications?

    Pass the result of the lookup `needs_lookup` asked for; ValueError if it is missing.
    """
    lookup = needs_lookup(user_id, admins)
    if lookup == "users.info":
        if is_workspace_admin is None:
            raise ValueError("is_workspace_admin is needed when INVITE_ADMINS is empty")
        return ALLOWED if is_workspace_admin else Refused(NOT_A_WORKSPACE_ADMIN)
    if user_id in admins.users:
        return ALLOWED
    if lookup == "groups":
        if group_members is None:
            raise ValueError("group_members is needed when INVITE_ADMINS has user groups")
        # Only the configured groups count, whatever else the caller passed.
        if any(user_id in group_members.get(group, frozenset()) for group in admins.groups):
            return ALLOWED
    return Refused(NOT_AN_INVITER)


def check_domains(addresses: Iterable[str], allowed: frozenset[str]) -> Refused | None:
    """Refuse, naming them, any normalised addresses outside `allowed` (exact domains)."""
    refused = [a for a in addresses if not is_allowed(a, allowed)]
    if not refused:
        return None
    return Refused(_domain_message(refused, allowed))


def _domain_message(refused: Iterable[str], allowed: frozenset[str]) -> str:
    return DOMAIN_NOT_ALLOWED.format(
        domains=human_list(sorted(allowed)), addresses=human_list(refused)
    )


def check_addresses(
    parsed: AddressParse, *, max_count: int, allowed_domains: frozenset[str] = frozenset()
) -> Refused | None:
    """Refuse a batch with no, too many, malformed or not-allowed addresses, in that order.

    Pass the same `allowed_domains` as to `parse_addresses`, for the message.
    """
    if parsed.count == 0:
        return Refused(NO_ADDRESSES)
    if parsed.too_many:
        return Refused(TOO_MANY_ADDRESSES.format(count=parsed.count, max_count=max_count))
    if parsed.invalid:
        return Refused(INVALID_ADDRESSES.format(addresses=human_list(parsed.invalid)))
    if parsed.misleading:
        return Refused(MISLEADING_ADDRESSES.format(addresses=human_list(parsed.misleading)))
    if parsed.disallowed:
        return Refused(_domain_message(parsed.disallowed, allowed_domains))
    return None


def check_rate(
    allowance: Allowance, *, rate: Rate, requested: int, revoking: bool = False
) -> Refused | None:
    """Turn a refused `SlidingWindow.allow` answer into the user's message."""
    if allowance.allowed:
        return None
    over, limited = (
        (REVOKE_BATCH_OVER_RATE, REVOKE_RATE_LIMITED)
        if revoking
        else (BATCH_OVER_RATE, RATE_LIMITED)
    )
    if math.isinf(allowance.retry_after):
        return Refused(over.format(requested=requested, rate=rate.describe()))
    return Refused(
        limited.format(
            requested=requested,
            remaining=allowance.remaining,
            rate=rate.describe(),
            wait=describe_duration(allowance.retry_after),
        )
    )
