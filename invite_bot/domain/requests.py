"""Invite requests: who may ask and decide, the checks at click time, and expiry.

A member who may not invite asks instead; an inviter approves (the invitations are then
made as if the inviter had typed the command) or denies; the member may withdraw; a
request nobody decided expires after `INVITE_REQUEST_TTL`. Pure functions: the callers
fetch the facts (is the clicker an inviter, the stored request, the time) and act on the
answer.

The checks when someone clicks Approve or Deny run in this order, the first refusal wins:
the clicker is (still) an inviter; the request exists; it is still open (else: who decided
it, and how); it has not expired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeAlias

from invite_bot.domain.policy import NOT_A_WORKSPACE_ADMIN, NOT_AN_INVITER, Decision, Refused
from invite_bot.domain.text import slack_date

__all__ = [
    "DEFAULT_TTL",
    "MAX_DM_INVITERS",
    "MAX_OPEN_PER_MEMBER",
    "MAX_REASON",
    "Destinations",
    "RequestFacts",
    "RequestStatus",
    "check_ask",
    "check_decision",
    "check_withdraw",
    "clean_reason",
    "decided_phrase",
    "destinations",
    "expires_at",
    "is_expired",
    "may_ask_instead",
    "parse_duration",
    "parse_remind_after",
    "reminder_due_since",
]

RequestStatus: TypeAlias = Literal["open", "approved", "denied", "withdrawn", "expired"]

DEFAULT_TTL = timedelta(days=7)
MAX_OPEN_PER_MEMBER = 10
MAX_DM_INVITERS = 5
MAX_REASON = 500

TOO_MANY_OPEN = (
    "Nothing was asked: you already have {count} open requests (at most {limit}). "
    "Withdraw one with `/gencove requests`, or wait for an inviter to decide."
)
NOWHERE_TO_ASK = (
    "Nothing was asked: only the people who manage Gencove invitations here can invite, and "
    "the bot has no place set up to ask them for you. Ask one of them directly."
)
UNKNOWN_REQUEST = "That request is not known to the bot (any more)."
EXPIRED = "This request expired {when} without a decision; ask again if it is still needed."
NOT_YOURS = "Only the member who asked can withdraw this request."


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the checks need to know of a stored request."""

    status: RequestStatus
    requester: str
    expires_at: datetime
    decided_by: str | None = None
    decision_note: str | None = None


_DURATION = re.compile(r"(\d{1,7})\s*(s|sec|secs|seconds?|m|mins?|minutes?|h|hours?|d|days?)?")
_SECONDS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
MAX_TTL = timedelta(days=366)


def parse_duration(raw: str) -> timedelta:
    """`INVITE_REQUEST_TTL`: `7d`, `36h`, `90m`, `30s` or plain seconds; ValueError if not."""
    match = _DURATION.fullmatch(raw.strip().lower())
    if match is None:
        raise ValueError(f"{raw.strip()!r} is not a duration; write 7d, 36h, 90m or seconds")
    unit = (match.group(2) or "s")[0]
    ttl = timedelta(seconds=int(match.group(1)) * _SECONDS[unit])
    if not timedelta(seconds=1) <= ttl <= MAX_TTL:
        raise ValueError(f"{raw.strip()!r} must be from 1 second to 366 days")
    return ttl


def parse_remind_after(raw: str) -> timedelta | None:
    """`INVITE_REQUEST_REMIND_AFTER`: a duration as `INVITE_REQUEST_TTL` takes (`24h`, `2d`,
    `90m`, seconds), or `off` (None: no reminders); ValueError if neither."""
    if raw.strip().lower() in {"off", "none", "no", "false"}:
        return None
    return parse_duration(raw)


def reminder_due_since(now: datetime, after: timedelta | None) -> datetime | None:
    """Requests asked at or before this time are due their one reminder (None: never)."""
    return None if after is None else now - after


def expires_at(created: datetime, ttl: timedelta) -> datetime:
    return created + ttl


def is_expired(expires: datetime, now: datetime) -> bool:
    """A request expires at `expires` exactly: from then on it can no longer be decided."""
    return now >= expires


def may_ask_instead(decision: Decision) -> bool:
    """Whether a refused inviter check turns an invite into a request.

    Only "you are not an inviter" does; a failed permission lookup stays a refusal (the
    bot does not know whether the user may invite, so it must not guess either way).
    """
    return isinstance(decision, Refused) and decision.message in (
        NOT_AN_INVITER,
        NOT_A_WORKSPACE_ADMIN,
    )


def check_ask(open_count: int, *, limit: int = MAX_OPEN_PER_MEMBER) -> Refused | None:
    """A member may have at most `limit` open requests at a time."""
    if open_count >= limit:
        return Refused(TOO_MANY_OPEN.format(count=open_count, limit=limit))
    return None


@dataclass(frozen=True, slots=True)
class Destinations:
    """Where a new request is posted: channel IDs, or user IDs (a DM to each)."""

    targets: tuple[str, ...]
    kind: Literal["approval channel", "inviters", "notification channel", "nowhere"]


def destinations(
    *,
    approval_channel: str | None,
    inviters: Sequence[str] | None,
    notification_channels: Sequence[str],
    max_inviters: int = MAX_DM_INVITERS,
) -> Destinations:
    """`INVITE_APPROVAL_CHANNEL`; else a DM to each inviter when they are known and at
    most `max_inviters`; else the (first) notification channel; else nowhere.

    `inviters` is None when the bot cannot list them (workspace admins decide).
    """
    if approval_channel:
        return Destinations((approval_channel,), "approval channel")
    if inviters and len(inviters) <= max_inviters:
        return Destinations(tuple(dict.fromkeys(inviters)), "inviters")
    if notification_channels:
        return Destinations((notification_channels[0],), "notification channel")
    return Destinations((), "nowhere")


def clean_reason(text: str | None) -> str | None:
    """The reason typed for a request or a denial, trimmed and bounded; None when blank."""
    if text is None:
        return None
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    return cleaned[:MAX_REASON]


def decided_phrase(facts: RequestFacts) -> str:
    """How a closed request ended, as the second clicker is told ("approved by <@U1>")."""
    who = f" by <@{facts.decided_by}>" if facts.decided_by else ""
    if facts.status == "expired":
        return "expired without a decision"
    if facts.status == "withdrawn":
        return "withdrawn by the member who asked"
    return f"{facts.status}{who}"


def check_decision(
    inviter: Decision, request: RequestFacts | None, now: datetime
) -> Refused | None:
    """The ordered checks when an inviter clicks Approve or Deny (see the module doc)."""
    if isinstance(inviter, Refused):
        return inviter
    if request is None:
        return Refused(UNKNOWN_REQUEST)
    if request.status != "open":
        return Refused(f"Nothing done: this request was already {decided_phrase(request)}.")
    if is_expired(request.expires_at, now):
        return Refused(EXPIRED.format(when=_day(request.expires_at)))
    return None


def check_withdraw(user_id: str, request: RequestFacts | None, now: datetime) -> Refused | None:
    """The member who asked may withdraw an open request that has not expired."""
    if request is None:
        return Refused(UNKNOWN_REQUEST)
    if request.requester != user_id:
        return Refused(NOT_YOURS)
    if request.status != "open":
        return Refused(f"Nothing done: this request was already {decided_phrase(request)}.")
    if is_expired(request.expires_at, now):
        return Refused(EXPIRED.format(when=_day(request.expires_at)))
    return None


def _day(moment: datetime) -> str:
    return slack_date(moment)


@dataclass(frozen=True)
class Ask:
    """What a member asked for, and where."""

    requester: str
    channel_id: str
    addresses: tuple[str, ...]
    role: str | None
    reason: str | None
    delivery_key: str | None
