"""What /healthz decides from the database's facts (domain/health.py), table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_bot.domain.health import DatabaseFacts, Watching, readiness, report

NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
AT_HEAD = DatabaseFacts(None, "0004", "0004", last_poll=NOW - timedelta(seconds=30))
HERE = Watching(60.0, here_since=NOW - timedelta(hours=1))


@pytest.mark.parametrize(
    ("facts", "watching", "ok", "state"),
    [
        (AT_HEAD, HERE, True, "polling"),
        (DatabaseFacts("database file gone", None, "0004"), HERE, False, "unknown"),
        (DatabaseFacts(None, "0003", "0004"), HERE, False, "unknown"),
        (DatabaseFacts(None, "0004", "0004"), HERE, False, "stalled"),  # never polled
        (
            DatabaseFacts(None, "0004", "0004", last_poll=NOW - timedelta(minutes=6)),
            HERE,
            False,
            "stalled",
        ),
        # just started: not stalled yet, whatever the database says
        (DatabaseFacts(None, "0004", "0004"), Watching(60.0, here_since=NOW), True, "starting"),
        # no watcher in this process: said, never failed
        (DatabaseFacts(None, "0004", "0004"), Watching(60.0), True, "never polled"),
        (
            DatabaseFacts(None, "0004", "0004", last_poll=NOW - timedelta(hours=2)),
            Watching(60.0),
            True,
            "stalled elsewhere",
        ),
    ],
)
def test_report(facts: DatabaseFacts, watching: Watching, ok: bool, state: str) -> None:
    healthy, body = report(facts, watching, NOW)
    assert healthy is ok
    assert body["ok"] is ok
    if facts.problem is None and facts.current_revision == facts.expected_revision:
        assert body["watcher"]["state"] == state
    if not ok:
        assert body["problem"]


def test_ages_of_the_last_poll_and_the_oldest_notification() -> None:
    facts = DatabaseFacts(
        None,
        "0004",
        "0004",
        last_poll=NOW - timedelta(seconds=30),
        waiting=3,
        oldest_waiting=NOW - timedelta(seconds=90),
    )
    _ok, body = report(facts, HERE, NOW)
    assert body["watcher"]["last_poll_age_seconds"] == 30.0
    assert body["watcher"]["stalled_after_seconds"] == 300.0
    assert body["outbox"] == {"waiting": 3, "oldest_age_seconds": 90.0}


@pytest.mark.parametrize(
    ("facts", "socket", "ready", "problem"),
    [
        (AT_HEAD, None, True, None),
        (AT_HEAD, True, True, None),
        (AT_HEAD, False, False, "Socket Mode connection to Slack is down"),
        (DatabaseFacts(None, "0003", "0004"), None, False, "run `invite-bot migrate`"),
        (DatabaseFacts(None, "0005", "0004"), True, False, "roll this replica forward"),
        (DatabaseFacts("unreachable", None, "0004"), True, False, "database unavailable"),
        # a stalled watcher is liveness' business: readiness does not look at it
        (DatabaseFacts(None, "0004", "0004"), None, True, None),
    ],
)
def test_readiness(facts: DatabaseFacts, socket: bool | None, ready: bool, problem: str) -> None:
    ok, body = readiness(facts, socket)
    assert ok is ready
    assert body["ok"] is ready
    assert ("socket" in body) is (socket is not None)
    if problem is None:
        assert "problem" not in body
    else:
        assert problem in body["problem"]
