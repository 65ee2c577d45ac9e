"""What the audit export tells the inviter who asked for it (pure)."""

from __future__ import annotations

from datetime import timedelta

from invite_bot.domain.text import describe_duration
from invite_bot.slack.blockkit import Message, note


def period(since: timedelta) -> str:
    """`--since` in people's words: "the last 30 days", "the last 12 hours"."""
    return f"the last {describe_duration(since.total_seconds())}"


def file_title(since: timedelta) -> str:
    return f"Gencove invitations: audit log of {period(since)}"


def file_comment(count: int, since: timedelta) -> str:
    entries = f"{count:,} entr" + ("y" if count == 1 else "ies")
    return (
        f"The audit log of {period(since)}: {entries}, oldest first. Times are UTC; "
        "“who” is the Slack user (`the bot` for what it did on its own)."
    )


def sent(count: int, since: timedelta) -> Message:
    entries = f"{count:,} entr" + ("y" if count == 1 else "ies")
    return note(
        f"The audit log of {period(since)} ({entries}) is in your direct messages with me, "
        "as a CSV file."
    )


def nothing_in(since: timedelta) -> Message:
    return note(
        f"The audit log has no entries in {period(since)}, so there is no file to send. "
        "`/gencove audit --since 12w` looks further back."
    )


def not_sent(sentence: str) -> Message:
    return note(
        f"The audit log could not be sent to your direct messages ({sentence}). "
        "Nothing is lost: ask again in a moment."
    )
