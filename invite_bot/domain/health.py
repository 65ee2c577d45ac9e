"""What `/healthz` and `/readyz` answer, decided from what the database says (pure: no I/O).

`/healthz` is liveness (`report`): the process serves, and restarting it would not help
otherwise. `/readyz` is readiness (`readiness`): this process can do its work now, i.e.
its database answers at the schema this code expects and, in Socket Mode, its socket to
Slack is connected.

A process is healthy when its database answers, its schema is at the revision this code
expects, and — when a watcher runs in this process — some watcher polled successfully
within `STALL_INTERVALS` intervals (the watcher may run in another replica: the last good
poll is read from the database, not from memory). A watcher that has not had that long
since it started is "starting", not stalled. A process without a watcher (`serve
--no-watch`) reports what the database says of the watcher elsewhere, without failing:
restarting it would not help a stalled worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

STALL_INTERVALS = 5  # a watcher silent for this many intervals is stalled


@dataclass(frozen=True)
class DatabaseFacts:
    """What the store found (`Store.health()`)."""

    problem: str | None  # why the database cannot be used; None when it answers
    current_revision: str | None
    expected_revision: str
    last_poll: datetime | None = None  # the last good poll of any watcher
    waiting: int = 0  # notifications not delivered yet
    oldest_waiting: datetime | None = None


@dataclass(frozen=True)
class Watching:
    """What this process knows of watching: the interval, and when its own watcher
    started (None: no watcher runs in this process)."""

    interval: float
    here_since: datetime | None = None


def report(facts: DatabaseFacts, watching: Watching | None, now: datetime) -> tuple[bool, Any]:
    """(healthy, the JSON body)."""
    schema_ok = facts.problem is None and facts.current_revision == facts.expected_revision
    watcher, stalled = _watcher(facts, watching, now)
    ok = facts.problem is None and schema_ok and not stalled
    body: dict[str, Any] = {
        "ok": ok,
        "database": "reachable" if facts.problem is None else "unavailable",
        "schema": {
            "current": facts.current_revision,
            "expected": facts.expected_revision,
            "ok": schema_ok,
        },
        "watcher": watcher,
        "outbox": {
            "waiting": facts.waiting,
            "oldest_age_seconds": _age(facts.oldest_waiting, now),
        },
    }
    if facts.problem is not None:
        body["problem"] = f"database unavailable: {facts.problem}"
    elif not schema_ok:
        body["problem"] = _schema_problem(facts.current_revision, facts.expected_revision)
    elif stalled:
        silent = watcher["silent_for_seconds"]
        body["problem"] = f"the watcher has not polled successfully for {silent:.0f} s"
    return ok, body


def readiness(facts: DatabaseFacts, socket: bool | None) -> tuple[bool, Any]:
    """(ready, the JSON body of `/readyz`). `socket`: whether this process's Socket Mode
    connection is up now; None where the process has none (HTTP mode, the watcher)."""
    schema_ok = facts.problem is None and facts.current_revision == facts.expected_revision
    ready = schema_ok and socket is not False
    body: dict[str, Any] = {
        "ok": ready,
        "database": "reachable" if facts.problem is None else "unavailable",
        "schema": {
            "current": facts.current_revision,
            "expected": facts.expected_revision,
            "ok": schema_ok,
        },
    }
    if socket is not None:
        body["socket"] = "connected" if socket else "disconnected"
    if facts.problem is not None:
        body["problem"] = f"database unavailable: {facts.problem}"
    elif not schema_ok:
        body["problem"] = _schema_problem(facts.current_revision, facts.expected_revision)
    elif socket is False:
        body["problem"] = "the Socket Mode connection to Slack is down (it is reconnecting)"
    return ready, body


def _schema_problem(current: str | None, expected: str) -> str:
    if current is not None and current > expected:
        return (
            f"the database schema is at {current}, newer than this version of the bot knows "
            f"({expected}): a newer invite-bot migrated it; roll this replica forward"
        )
    return (
        f"the database schema is at {current or 'no revision'}, this bot needs {expected}: "
        "run `invite-bot migrate`"
    )


def _watcher(
    facts: DatabaseFacts, watching: Watching | None, now: datetime
) -> tuple[dict[str, Any], bool]:
    """The watcher's part of the body, and whether it makes this process unhealthy."""
    age = _age(facts.last_poll, now)
    part: dict[str, Any] = {"last_poll_age_seconds": age}
    if facts.problem is not None:
        part["state"] = "unknown"
        return part, False
    if watching is None:
        part["state"] = "never polled" if age is None else "polled"
        return part, False
    limit = STALL_INTERVALS * watching.interval
    part["runs_here"] = watching.here_since is not None
    part["stalled_after_seconds"] = limit
    late = age is None or age > limit
    if not late:
        part["state"] = "polling"
        return part, False
    if watching.here_since is None:
        # Another process's watcher (or none at all): say so, do not fail this one.
        part["state"] = "never polled" if age is None else "stalled elsewhere"
        return part, False
    running_for = (now - watching.here_since).total_seconds()
    if running_for <= limit:
        part["state"] = "starting"
        return part, False
    part["state"] = "stalled"
    part["silent_for_seconds"] = round(age if age is not None else running_for, 1)
    return part, True


def _age(when: datetime | None, now: datetime) -> float | None:
    return None if when is None else round(max((now - when).total_seconds(), 0.0), 1)
