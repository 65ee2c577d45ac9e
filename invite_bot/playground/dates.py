"""Slack's date tokens (`<!date^1700000000^{date_short_pretty} at {time}|fallback>`) as
Slack's clients show them, for the playground's imitation of Slack: in UTC, with
"today", "yesterday" and "tomorrow" relative to `now`. Pure, stdlib only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DATE_TOKEN = re.compile(r"\{(\w+)\}")


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _relative(moment: datetime, now: datetime | None) -> str | None:
    if now is None:
        return None
    days = (moment.date() - now.astimezone(UTC).date()).days
    return {0: "today", -1: "yesterday", 1: "tomorrow"}.get(days)


def _ago(moment: datetime, now: datetime | None) -> str:
    if now is None:
        return f"{moment:%b} {moment.day}, {moment.year}"
    seconds = int((now.astimezone(UTC) - moment).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400),
                       ("hour", 3_600), ("minute", 60)):  # fmt: skip
        if seconds >= size:
            amount = seconds // size
            words = f"{amount} {unit}" + ("s" if amount != 1 else "")
            return f"in {words}" if future else f"{words} ago"
    return "just now"


def _date_tokens(moment: datetime, now: datetime | None) -> dict[str, str]:
    day = _ordinal(moment.day)
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    tokens = {
        "date_num": f"{moment:%Y-%m-%d}",
        "date": f"{moment:%B} {day}, {moment.year}",
        "date_short": f"{moment:%b} {moment.day}, {moment.year}",
        "date_long": f"{moment:%A, %B} {day}, {moment.year}",
        "time": f"{hour}:{moment:%M} {half}",
        "time_secs": f"{hour}:{moment:%M:%S} {half}",
        "ago": _ago(moment, now),
    }
    relative = _relative(moment, now)
    for name in ("date", "date_short", "date_long"):
        tokens[f"{name}_pretty"] = relative or tokens[name]
    return tokens


def format_date(
    timestamp: str | int, fmt: str, *, now: datetime | None = None
) -> tuple[str, str] | None:
    """Slack's `{date_short_pretty} at {time}` in UTC, and the ISO moment; None if invalid."""
    try:
        moment = datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    tokens = _date_tokens(moment, now)

    def token(match: re.Match[str]) -> str:
        value = tokens.get(match[1], match[0])
        # Slack capitalizes a word it chose ("Today") only at the very start of the format;
        # the bot starts its formats with a zero-width space to keep "expires today at…".
        return value[:1].upper() + value[1:] if match.start() == 0 else value

    text = _DATE_TOKEN.sub(token, fmt)
    return text, moment.strftime("%Y-%m-%dT%H:%M:%SZ")
