"""Small text helpers: for Slack mrkdwn (escaping, truncating, listing, durations), and the
cells of a CSV the bot hands people, safe to open in a spreadsheet (`text_cell`)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

__all__ = [
    "FORMULA_START",
    "describe_duration",
    "escape_mrkdwn",
    "human_list",
    "inline_code",
    "slack_date",
    "text_cell",
    "truncate",
]


def escape_mrkdwn(s: str) -> str:
    """Escape the three mrkdwn control characters (`&`, `<`, `>`) in user or Gencove text."""
    # `&` first, or the `&` of `&lt;` would be escaped again.
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(s: str, limit: int, suffix: str = "…") -> str:
    """Return `s` cut to at most `limit` characters, ending in `suffix` when it was cut."""
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if len(s) <= limit:
        return s
    if len(suffix) >= limit:
        return suffix[:limit]
    return s[: limit - len(suffix)] + suffix


def inline_code(s: str, limit: int = 100) -> str:
    """Show user text as escaped, truncated inline code: `` `text` ``."""
    # A backtick inside would close the code span early; a look-alike keeps it readable.
    return "`" + escape_mrkdwn(truncate(s, limit).replace("`", "ˋ")) + "`"


def human_list(items: Iterable[str], *, max_items: int = 10, max_chars: int = 1500) -> str:
    """List user text as inline code, "`a`, `b` and 3 more", bounded by both budgets."""
    shown: list[str] = []
    total = 0
    length = 0
    for item in items:
        total += 1
        piece = inline_code(item)
        if len(shown) < max_items and length + len(piece) + 2 <= max_chars:
            shown.append(piece)
            length += len(piece) + 2
    if not shown:
        return f"{total} items" if total else "none"
    hidden = total - len(shown)
    if hidden:
        return ", ".join(shown) + f" and {hidden} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def describe_duration(seconds: float) -> str:
    """Say a wait in words, rounded up: "45 seconds", "12 minutes", "2 hours", "3 days"."""
    if math.isinf(seconds) or math.isnan(seconds):
        return "a long time"
    whole = max(1, math.ceil(seconds))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        # Switch to a unit once the wait is at least two of it, so "90 seconds" not "2 minutes".
        if whole >= 2 * size:
            amount = math.ceil(whole / size)
            return f"{amount} {unit}s"
    return f"{whole} second" + ("" if whole == 1 else "s")


def slack_date(moment: datetime | None) -> str:
    """A moment as people say it, in each reader's own time zone: Slack's date token shows
    "today at 5:35 PM", "tomorrow at 9:00 AM" or "March 3rd, 2026 at 9:00 AM"; clients that
    cannot show it read the fallback, in UTC ("Mar 3, 2026 at 09:00 UTC")."""
    if moment is None:
        return "no expiry"
    at = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    fallback = f"{at:%b} {at.day}, {at.year} at {at:%H:%M} UTC"
    # Slack capitalizes the word it picks ("Today") when the format starts with it; the
    # zero-width space in front keeps it lower case, as it reads in a sentence.
    return f"<!date^{int(at.timestamp())}^\u200b{{date_pretty}} at {{time}}|{fallback}>"


# A spreadsheet runs a cell that starts with one of these as a formula (some: a tab or a
# carriage return): text someone typed — an address, a role, a reason — could then
# compute, link or fetch.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value.startswith(FORMULA_START) else value
