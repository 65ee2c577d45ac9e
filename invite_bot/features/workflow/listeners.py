"""The Workflow Builder step "Invite to Gencove": Slack's `function_executed` event, run
by `Stepping` after the ack (Bolt's `app.function`, through the router)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from invite_bot.domain.workflow_steps import StepInputs
from invite_bot.features.workflow.blocks import EMAIL_INPUT, FUNCTION, PERSON_INPUT, ROLE_INPUT
from invite_bot.features.workflow.stepping import Stepping
from invite_bot.slack.guard import Reply, Turn, answer, then
from invite_bot.slack.router import Router

log = logging.getLogger(__name__)


def register(router: Router, stepping: Stepping) -> None:
    def executed(turn: Turn) -> Reply:
        inputs = step_inputs(turn.payload)
        if inputs is None:
            log.warning("a function_executed event without its function_execution_id")
            return answer()
        return then(lambda: stepping.run(inputs))

    router.function(FUNCTION, executed, name="workflow_step")


def step_inputs(event: Mapping[str, Any]) -> StepInputs | None:
    """The step's inputs from a `function_executed` event (None without an execution id)."""
    execution = event.get("function_execution_id")
    if not isinstance(execution, str) or not execution:
        return None
    given = event.get("inputs")
    inputs: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    # A user_context ({"id", "secret"}): Slack fills it with the person who used the
    # workflow; a builder cannot name someone else there (a plain user id they could).
    person = inputs.get(PERSON_INPUT)
    return StepInputs(
        execution_id=execution[:64],
        user_id=_text(person.get("id"), 32) if isinstance(person, Mapping) else None,
        email=_text(inputs.get(EMAIL_INPUT), 400) or "",
        role=_text(inputs.get(ROLE_INPUT), 255),
    )


def _text(value: object, limit: int) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None
