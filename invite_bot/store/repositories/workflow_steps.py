"""Workflow steps by Slack's function_execution_id: `begin` stores an execution once (a
redelivery finds it), `decide` records its result once (the first decision wins, in any
process), `completed` marks that Slack has it; `unfinished` lists what a restart owes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import RowMapping, select

from invite_bot.domain.workflow_steps import StepInputs, StepResult, WorkflowStep
from invite_bot.store.repositories.repository import (
    Repository,
    delete_count,
    insert_or_nothing_returning,
    update_count,
)
from invite_bot.store.schema import utcnow, workflow_steps


class WorkflowSteps(Repository):
    def begin(self, inputs: StepInputs) -> WorkflowStep:
        """The execution as stored: stored now, or (a redelivery) as it was stored before."""
        insert_or_nothing_returning(
            self._conn,
            workflow_steps,
            {
                "execution_id": inputs.execution_id,
                "user_id": inputs.user_id,
                "email": inputs.email,
                "role": inputs.role,
                "created_at": utcnow(),
            },
            workflow_steps.c.execution_id,
        )
        found = self.get(inputs.execution_id)
        assert found is not None
        return found

    def decide(self, execution_id: str, result: StepResult) -> StepResult:
        """Record `result` unless one is recorded already; the result that stands."""
        update_count(
            self._conn,
            workflow_steps,
            workflow_steps.c.execution_id == execution_id,
            workflow_steps.c.outcome.is_(None),
            values={
                "outcome": result.outcome,
                "outputs": json.dumps(dict(result.outputs)),
                "error": result.error,
                "decided_at": utcnow(),
            },
        )
        found = self.get(execution_id)
        assert found is not None
        assert found.result is not None
        return found.result

    def completed(self, execution_id: str) -> None:
        """Slack has this execution's completion."""
        update_count(
            self._conn,
            workflow_steps,
            workflow_steps.c.execution_id == execution_id,
            workflow_steps.c.completed_at.is_(None),
            values={"completed_at": utcnow()},
        )

    def get(self, execution_id: str) -> WorkflowStep | None:
        found = self._conn.execute(
            select(workflow_steps).where(workflow_steps.c.execution_id == execution_id)
        )
        row = found.mappings().first()
        return None if row is None else _step(row)

    def unfinished(self, *, limit: int = 100) -> list[WorkflowStep]:
        """Executions Slack was not (known to be) told of, oldest first."""
        found = self._conn.execute(
            select(workflow_steps)
            .where(workflow_steps.c.completed_at.is_(None))
            .order_by(workflow_steps.c.created_at)
            .limit(limit)
        )
        return [_step(row) for row in found.mappings()]

    def prune(self, older_than: timedelta) -> int:
        """Forget executions completed longer than `older_than` ago; returns how many."""
        before = utcnow() - older_than
        return delete_count(self._conn, workflow_steps, workflow_steps.c.completed_at < before)


def _step(row: RowMapping) -> WorkflowStep:
    inputs = StepInputs(row["execution_id"], row["user_id"], row["email"], row["role"])
    result = None
    if row["outcome"] in ("success", "error"):
        outputs: Any = json.loads(row["outputs"] or "{}")
        result = StepResult(
            row["outcome"],
            {str(k): str(v) for k, v in outputs.items()} if isinstance(outputs, dict) else {},
            row["error"],
        )
    return WorkflowStep(inputs, result, row["created_at"], row["completed_at"])
