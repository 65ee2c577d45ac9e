"""A Workflow Builder step's execution, as stored: what it was asked, and how it ended.

Pure values. The outcome is decided (and stored) before Slack is told; `completed_at` is
set once Slack has taken the completion (or said it already had one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

StepOutcome = Literal["success", "error"]


@dataclass(frozen=True, slots=True)
class StepInputs:
    """What one execution of the step was given."""

    execution_id: str
    user_id: str | None  # the person it acts for
    email: str
    role: str | None


@dataclass(frozen=True, slots=True)
class StepResult:
    """How an execution ends: its outputs (success) or a person-readable reason (error)."""

    outcome: StepOutcome
    outputs: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def success(cls, **outputs: str) -> StepResult:
        return cls("success", dict(outputs))

    @classmethod
    def failure(cls, reason: str) -> StepResult:
        return cls("error", error=reason)


@dataclass(frozen=True, slots=True)
class WorkflowStep:
    """A stored execution: its inputs, its result once decided, and whether Slack knows."""

    inputs: StepInputs
    result: StepResult | None
    created_at: datetime
    completed_at: datetime | None
