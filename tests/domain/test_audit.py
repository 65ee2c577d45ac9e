"""The audit export's pure parts: `--since`, and one entry as spreadsheet-safe cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_bot.domain.audit import AUDIT_HEADER, audit_row, parse_since
from invite_bot.domain.command.grammar import parse_command
from invite_bot.domain.command.types import Audit, Usage
from invite_bot.domain.records import AuditEntry


@pytest.mark.parametrize(
    ("text", "since"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("3 days", timedelta(days=3)),
        ("1 WEEK", timedelta(weeks=1)),
    ],
)
def test_since_reads_hours_days_and_weeks(text: str, since: timedelta) -> None:
    assert parse_since(text) == since
    assert parse_command(f"audit --since {text}") == Audit(since=since)


@pytest.mark.parametrize("text", ["", "soon", "30", "-3d", "1.5d", "30m", "0h", "9999w"])
def test_a_bad_since_is_a_sentence(text: str) -> None:
    problem = parse_since(text)
    assert isinstance(problem, str)
    assert "--since" in problem


@pytest.mark.parametrize(
    "typed", ["audit --since", "audit --since soon", "audit now", "audit --from 3d"]
)
def test_the_command_answers_a_mistake_with_its_usage(typed: str) -> None:
    parsed = parse_command(typed)
    assert isinstance(parsed, Usage)
    assert parsed.subcommand == "audit"


def test_audit_alone_is_the_last_30_days() -> None:
    assert parse_command("audit") == Audit(since=timedelta(days=30))


def test_an_entry_becomes_its_cells_in_the_header_order() -> None:
    entry = AuditEntry(
        id=1,
        at=datetime(2026, 12, 6, 9, 5, 7, tzinfo=UTC),
        actor_slack_id=None,
        action="request_asked",
        invitation_id=None,
        email=None,
        channel_id="C1",
        detail={"addresses": ["a@lab.org", "-b@lab.org"], "role": "=admin", "error": "x\ny"},
    )
    row = audit_row(entry)
    assert len(row) == len(AUDIT_HEADER)
    assert row == [
        "2026-12-06 09:05:07",
        "the bot",
        "request_asked",
        "a@lab.org, -b@lab.org",
        "'=admin",
        "",
        "asked: x y",
    ]
