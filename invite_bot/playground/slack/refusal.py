"""A request the local Slack refuses: ``ApiError`` raised by a method, and the
``{"ok": false, "error": ...}`` answer it becomes (recorded as a ``Violation`` when the
bot built the request wrong)."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from invite_bot.playground.slack.records import Call, JSONDict, Violation


class ApiError(Exception):
    """Slack's answer ``error``; ``violation``: the bot's fault, not the workspace's."""

    def __init__(self, error: str, *, violation: bool = False, details: Sequence[str] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.violation = violation
        self.details = list(details)


def refuse(
    violations: list[Violation], call: Call, exc: ApiError, status: int = 200
) -> web.Response:
    """Answer ``call`` with ``exc`` (recording a violation in ``violations`` if it is one)."""
    body: JSONDict = {"ok": False, "error": exc.error}
    if exc.details:
        body["errors"] = exc.details
        body["response_metadata"] = {"messages": [f"[ERROR] {d}" for d in exc.details]}
    if exc.violation:
        violations.append(Violation(call.method, exc.error, exc.details, call.args))
    call.status = status
    call.response = body
    return web.json_response(body, status=status)
