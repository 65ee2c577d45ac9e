"""The numbers an operator scrapes: `GET /metrics`, in Prometheus' text format.

One `Metrics` per running bot, with its own `CollectorRegistry` (never the process-wide
default one), so several bots in one process — the tests, the playground — keep their
own counts. Every label value comes from a closed set named here: a value outside it is
counted as "other", so no label can ever carry an address, a token, a user id or text
someone typed.

Families (all prefixed `invite_bot_`):

* `commands_total{subcommand,outcome}` — `/gencove` commands;
* `interactions_total{kind,action,outcome}` — button clicks, modal submissions, shortcuts
  and workflow steps;
* `gencove_requests_total{operation,status}`, `gencove_request_duration_seconds{operation}`,
  `gencove_retries_total{operation}`, `gencove_rate_limited_total{operation}`;
* `slack_calls_total{method,outcome}`, `slack_call_duration_seconds{method}` — Web API;
* `invite_jobs_total{outcome}`;
* `watcher_polls_total{outcome}`, `watcher_poll_duration_seconds`,
  `watcher_last_success_timestamp_seconds`, `watcher_transitions_total{status}`;
* `outbox_depth`, `outbox_oldest_age_seconds` — read from the database at each scrape.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "OTHER", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
OTHER = "other"

# `*_created` samples double every counter's lines and tell an operator nothing here.
disable_created_metrics()  # type: ignore[no-untyped-call]

INTERACTION_KINDS = frozenset({"button", "modal", "shortcut", "function"})
# answered: the acknowledgement was the whole answer (help, a usage or field error);
# done: the work after it ran; redelivered: Slack's retry of a delivery already handled.
REQUEST_OUTCOMES = frozenset(
    {"answered", "done", "redelivered", "gencove_error", "incomplete", "failed"}
)
GENCOVE_OPERATIONS = frozenset(
    {
        "create_invitation",
        "list_invitations",
        "revoke_invitation",
        "get_invitation_by_token",
        "accept_invitation",
        "list_roles",
        "find_member",
        "current_user",
    }
)
GENCOVE_FAILURES = frozenset({"timeout", "connection_error"})
SLACK_OUTCOMES = frozenset({"ok", "error", "rate_limited", "unreachable"})
_SLACK_METHOD = re.compile(r"^[a-z]+(\.[a-zA-Z]+){1,3}$")
# delivered: the result reached someone and the job is finished; undelivered: it reached
# nobody yet (left for resume_jobs); handed_over: another process took the job; failed:
# it stopped on an unexpected error (left for resume_jobs).
INVITE_JOB_OUTCOMES = frozenset({"delivered", "undelivered", "handed_over", "failed"})
POLL_OUTCOMES = frozenset({"ok", "baseline", "gencove_error", "database_error", "failed"})
STATUSES = frozenset({"pending", "accepted", "expired", "revoked"})

_GENCOVE_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_SLACK_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15)
_POLL_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


def closed(value: str, allowed: Iterable[str]) -> str:
    """`value` when it is one of `allowed`, else "other"."""
    return value if value in allowed else OTHER


def gencove_status(status: int | str) -> str:
    """An HTTP status code ("200", "429", …) or a failure without one ("timeout", …)."""
    if isinstance(status, int):
        return str(status) if 100 <= status <= 599 else OTHER
    return closed(status, GENCOVE_FAILURES)


def slack_method(method: str) -> str:
    """A Web API method name such as "chat.postMessage" (the bot's own, from its code)."""
    return method if _SLACK_METHOD.match(method) and len(method) <= 64 else OTHER


class Metrics:
    """The bot's counters, gauges and histograms; `exposition()` renders them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # The names requests are counted under: what the app's router registered.
        self._command_names: frozenset[str] = frozenset()
        self._interaction_names: frozenset[str] = frozenset()
        # In this order, which is also the order `exposition()` lists the families in.
        self._declare_request_metrics(self.registry)
        self._declare_gencove_metrics(self.registry)
        self._declare_slack_metrics(self.registry)
        self._declare_job_metrics(self.registry)
        self._declare_outbox_metrics(self.registry)

    def _declare_request_metrics(self, r: CollectorRegistry) -> None:
        """The `/gencove` commands, button clicks and modal submissions Slack delivered."""
        self._commands = Counter(
            "invite_bot_commands",
            "/gencove commands by subcommand and outcome",
            ["subcommand", "outcome"],
            registry=r,
        )
        self._interactions = Counter(
            "invite_bot_interactions",
            "Button clicks and modal submissions by action and outcome",
            ["kind", "action", "outcome"],
            registry=r,
        )

    def _declare_gencove_metrics(self, r: CollectorRegistry) -> None:
        """Every try of a Gencove request: its status and time, retries and 429s."""
        self._gencove_requests = Counter(
            "invite_bot_gencove_requests",
            "HTTP requests sent to Gencove (each try) by operation and status",
            ["operation", "status"],
            registry=r,
        )
        self._gencove_seconds = Histogram(
            "invite_bot_gencove_request_duration_seconds",
            "Time of one HTTP request to Gencove, by operation",
            ["operation"],
            buckets=_GENCOVE_SECONDS,
            registry=r,
        )
        self._gencove_retries = Counter(
            "invite_bot_gencove_retries",
            "Gencove requests sent again after a failed try, by operation",
            ["operation"],
            registry=r,
        )
        self._gencove_limited = Counter(
            "invite_bot_gencove_rate_limited",
            "Gencove answers 429 Too Many Requests, by operation",
            ["operation"],
            registry=r,
        )

    def _declare_slack_metrics(self, r: CollectorRegistry) -> None:
        """Slack Web API calls: their outcome and time."""
        self._slack_calls = Counter(
            "invite_bot_slack_calls",
            "Slack Web API calls by method and outcome",
            ["method", "outcome"],
            registry=r,
        )
        self._slack_seconds = Histogram(
            "invite_bot_slack_call_duration_seconds",
            "Time of one Slack Web API call (with the client's retries), by method",
            ["method"],
            buckets=_SLACK_SECONDS,
            registry=r,
        )

    def _declare_job_metrics(self, r: CollectorRegistry) -> None:
        """Invite jobs' runs, the watcher's polls and the changes they found."""
        self._invite_jobs = Counter(
            "invite_bot_invite_jobs",
            "Invite jobs that ended a run, by outcome",
            ["outcome"],
            registry=r,
        )
        self._polls = Counter(
            "invite_bot_watcher_polls",
            "Watcher polls of Gencove by outcome",
            ["outcome"],
            registry=r,
        )
        self._poll_seconds = Histogram(
            "invite_bot_watcher_poll_duration_seconds",
            "Time of one watcher poll (Gencove reads, store writes, notifications)",
            buckets=_POLL_SECONDS,
            registry=r,
        )
        self._last_poll = Gauge(
            "invite_bot_watcher_last_success_timestamp_seconds",
            "Unix time the last watcher poll succeeded (0: none yet)",
            registry=r,
        )
        self._transitions = Counter(
            "invite_bot_watcher_transitions",
            "Invitation status changes the watcher found, by new status",
            ["status"],
            registry=r,
        )

    def _declare_outbox_metrics(self, r: CollectorRegistry) -> None:
        """The outbox's backlog, read from the database at each scrape."""
        self._outbox_depth = Gauge(
            "invite_bot_outbox_depth",
            "Notifications waiting in the outbox (pending or sending)",
            registry=r,
        )
        self._outbox_age = Gauge(
            "invite_bot_outbox_oldest_age_seconds",
            "Age of the oldest notification waiting in the outbox (0: none waits)",
            registry=r,
        )

    # -- Slack deliveries ---------------------------------------------------------------

    def name_requests(self, names: Mapping[str, frozenset[str]]) -> None:
        """The closed sets of request names (by kind: "command", and the interactions'
        "button", "modal", "shortcut", "function"), as the app registered them; any other
        name is counted as "other"."""
        self._command_names = names.get("command", frozenset())
        self._interaction_names = frozenset().union(
            *(names.get(kind, frozenset()) for kind in INTERACTION_KINDS)
        )

    def command_handled(self, subcommand: str, outcome: str) -> None:
        self._commands.labels(
            closed(subcommand, self._command_names), closed(outcome, REQUEST_OUTCOMES)
        ).inc()

    def interaction_handled(self, kind: str, action: str, outcome: str) -> None:
        self._interactions.labels(
            closed(kind, INTERACTION_KINDS),
            closed(action, self._interaction_names),
            closed(outcome, REQUEST_OUTCOMES),
        ).inc()

    # -- Gencove (the transport's observer) ---------------------------------------------

    def gencove_request(self, operation: str, status: int | str, seconds: float) -> None:
        name = closed(operation, GENCOVE_OPERATIONS)
        self._gencove_requests.labels(name, gencove_status(status)).inc()
        self._gencove_seconds.labels(name).observe(max(0.0, seconds))
        if status == 429:
            self._gencove_limited.labels(name).inc()

    def gencove_retry(self, operation: str) -> None:
        self._gencove_retries.labels(closed(operation, GENCOVE_OPERATIONS)).inc()

    # -- Slack's Web API (the client's observer) ----------------------------------------

    def slack_call(self, method: str, outcome: str, seconds: float) -> None:
        name = slack_method(method)
        self._slack_calls.labels(name, closed(outcome, SLACK_OUTCOMES)).inc()
        self._slack_seconds.labels(name).observe(max(0.0, seconds))

    # -- invite jobs and the watcher ----------------------------------------------------

    def invite_job_finished(self, outcome: str) -> None:
        """One run of an invite job ended (see INVITE_JOB_OUTCOMES)."""
        self._invite_jobs.labels(closed(outcome, INVITE_JOB_OUTCOMES)).inc()

    def poll_finished(self, outcome: str, seconds: float) -> None:
        """One watcher poll ended (see POLL_OUTCOMES)."""
        self._polls.labels(closed(outcome, POLL_OUTCOMES)).inc()
        self._poll_seconds.observe(max(0.0, seconds))
        if outcome in {"ok", "baseline"}:
            self._last_poll.set(time.time())

    def transitions_found(self, statuses: Iterable[str]) -> None:
        """A poll recorded status changes: the new status of each."""
        for status in statuses:
            self._transitions.labels(closed(status, STATUSES)).inc()

    def outbox_backlog(self, depth: int, oldest: datetime | None) -> None:
        self._outbox_depth.set(depth)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        self._outbox_age.set(max(0.0, age))

    def exposition(self) -> bytes:
        """Every family in Prometheus' text format."""
        return generate_latest(self.registry)
