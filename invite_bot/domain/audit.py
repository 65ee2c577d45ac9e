"""The audit export as a spreadsheet reads it (pure): `--since`, the columns, one row.

`parse_since("30d")` reads how far back `/gencove audit --since …` goes (hours, days or
weeks); `audit_row(entry)` is one audit-log entry as the CSV's cells: when (UTC), who in
Slack, what, the address(es), the role, the invitation id and how it ended, each a cell a
spreadsheet shows as text (`text_cell`), never runs as a formula.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from invite_bot.domain.records import AuditEntry
from invite_bot.domain.text import text_cell

__all__ = [
    "AUDIT_HEADER",
    "DEFAULT_SINCE",
    "MAX_SINCE",
    "SINCE_EXAMPLES",
    "audit_row",
    "parse_since",
]

AUDIT_HEADER = (
    "time (UTC)",
    "who (Slack)",
    "action",
    "address",
    "role",
    "invitation id",
    "outcome",
)
DEFAULT_SINCE = timedelta(days=30)
MAX_SINCE = timedelta(days=3660)  # ten years: anything longer is surely a typo
SINCE_EXAMPLES = "`30d`, `12h` or `2w`"
SYSTEM = "the bot"  # who acted when no person did (a reminder, an expiry)

_SINCE = re.compile(r"(\d{1,6})\s*(h|hours?|d|days?|w|weeks?)")
_HOURS = {"h": 1, "d": 24, "w": 24 * 7}

# How each action ended, in words; an error or a reason in the entry is added after.
OUTCOMES: Mapping[str, str] = {
    "invite": "invited",
    "invite_existing": "already pending",
    "invite_member": "already a member",
    "invite_unsure": "not confirmed",
    "invite_cancelled": "not sent (cancelled)",
    "invite_failed": "failed",
    "revoke": "revoked",
    "reinvite": "invited again",
    "reminder": "reminded before expiry",
    "accept": "accepted",
    "link": "key linked",
    "unlink": "key unlinked",
    "notify_on": "channel subscribed",
    "notify_off": "channel unsubscribed",
    "notify_me_on": "DMs on",
    "notify_me_off": "DMs off",
    "request_asked": "asked",
    "request_approved": "approved",
    "request_denied": "denied",
    "request_withdrawn": "withdrawn",
    "request_expired": "expired",
    "request_reminded": "reminded",
    "audit_exported": "exported",
}


def parse_since(text: str) -> timedelta | str:
    """`30d`, `12h`, `2w` (and `30 days` …) as a duration; else the problem, in words."""
    match = _SINCE.fullmatch(text.strip().lower())
    if match is None:
        return f"`--since` takes a number of hours, days or weeks, such as {SINCE_EXAMPLES}."
    since = timedelta(hours=int(match.group(1)) * _HOURS[match.group(2)[0]])
    if not timedelta(hours=1) <= since <= MAX_SINCE:
        return "`--since` must be from 1 hour to 3660 days (ten years)."
    return since


def audit_row(entry: AuditEntry) -> list[str]:
    """The entry's cells, in `AUDIT_HEADER`'s order."""
    detail = entry.detail
    addresses = detail.get("addresses")
    address = entry.email or (
        ", ".join(str(a) for a in addresses) if isinstance(addresses, list) else ""
    )
    cells = [
        entry.at.strftime("%Y-%m-%d %H:%M:%S"),
        entry.actor_slack_id or SYSTEM,
        entry.action,
        address,
        _text(detail.get("role")),
        entry.invitation_id or "",
        _outcome(entry.action, detail),
    ]
    return [text_cell(_one_line(cell)) for cell in cells]


def _outcome(action: str, detail: Mapping[str, Any]) -> str:
    word = OUTCOMES.get(action, "done")
    said = _text(detail.get("error")) or _text(detail.get("reason"))
    return f"{word}: {said}" if said else word


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")
