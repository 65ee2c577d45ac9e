"""Workflow Builder custom steps: the executions the local Slack starts (a workflow ran
the app's step; `start`, delivered to the bot as a `function_executed` event built by
`payloads.function_executed_body`), and functions.completeSuccess / completeError, which
end one. Like Slack, a second completion of the same execution is refused
(`execution_not_in_running_state`), and an execution it never started is not found."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from invite_bot.playground.slack.records import JSONDict
from invite_bot.playground.slack.refusal import ApiError

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack


@dataclass
class Execution:
    """One run of a step: what it was given, and how it ended (None while running)."""

    id: str
    callback_id: str
    inputs: JSONDict
    bot_access_token: str
    started: float
    outcome: str | None = None  # "completed" | "failed"
    outputs: JSONDict = field(default_factory=dict)
    error: str | None = None


def user_context(user_id: str) -> JSONDict:
    """A `slack#/types/user_context` value, as Slack fills one with the person who used
    the workflow: their id, and a secret only Slack makes."""
    return {"id": user_id, "secret": uuid.uuid5(uuid.NAMESPACE_OID, user_id).hex}


class Functions:
    """The step executions of one local Slack (``slack.functions``)."""

    executions: dict[str, Execution]

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        self.executions = {}

    def methods(self) -> dict[str, Callable[[JSONDict], JSONDict]]:
        return {
            "functions.completeSuccess": self.complete_success,
            "functions.completeError": self.complete_error,
        }

    def start(self, callback_id: str, inputs: Mapping[str, Any]) -> Execution:
        """A workflow reaches the app's step: a new running execution, with the
        short-lived token Slack hands the app for it (accepted by this local Slack)."""
        execution_id = f"Fx{next(self._ids):04d}{uuid.uuid4().hex[:8].upper()}"
        token = f"xwfp-{uuid.uuid4().hex}"
        self.slack.tokens.add(token)
        execution = Execution(execution_id, callback_id, dict(inputs), token, time.time())
        self.executions[execution_id] = execution
        return execution

    def complete_success(self, args: JSONDict) -> JSONDict:
        execution = self._running(args)
        outputs = args.get("outputs")
        if isinstance(outputs, str):
            try:
                outputs = json.loads(outputs)
            except ValueError as exc:
                raise ApiError("invalid_arguments", violation=True, details=[str(exc)]) from exc
        if not isinstance(outputs, dict):
            raise ApiError("invalid_arguments", violation=True, details=["outputs: not an object"])
        execution.outcome, execution.outputs = "completed", outputs
        return {}

    def complete_error(self, args: JSONDict) -> JSONDict:
        execution = self._running(args)
        error = args.get("error")
        if not isinstance(error, str) or not error:
            raise ApiError("invalid_arguments", violation=True, details=["error: missing"])
        execution.outcome, execution.error = "failed", error
        return {}

    def _running(self, args: JSONDict) -> Execution:
        found = self.executions.get(str(args.get("function_execution_id") or ""))
        if found is None:
            raise ApiError("function_execution_not_found")
        if found.outcome is not None:
            raise ApiError("execution_not_in_running_state")
        return found
