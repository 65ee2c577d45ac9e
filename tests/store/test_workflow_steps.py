"""Workflow steps by execution id: stored once, decided once (the first decision stands,
in any process), completed, listed while Slack is owed their completion, and forgotten
some days after it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from invite_bot.domain.workflow_steps import StepInputs, StepResult
from invite_bot.store import Store
from tests.support.store import OpenStore

INPUTS = StepInputs("Fx0001ABC", "U0ADMIN01", "ana@lab.org", "member")


async def test_an_execution_is_stored_once_and_its_first_decision_stands(store: Store) -> None:
    first = await store.write(lambda tx: tx.workflow_steps.begin(INPUTS))
    again = await store.write(
        lambda tx: tx.workflow_steps.begin(StepInputs("Fx0001ABC", "U0OTHER01", "eve@x.org", None))
    )
    assert first.inputs == again.inputs == INPUTS
    assert first.result is None

    made = StepResult.success(status="pending", invitation_id="inv-1")
    assert await store.write(lambda tx: tx.workflow_steps.decide("Fx0001ABC", made)) == made
    later = StepResult.failure("too late")
    assert await store.write(lambda tx: tx.workflow_steps.decide("Fx0001ABC", later)) == made


async def test_two_processes_deciding_at_once_agree_on_one_result(open_store: OpenStore) -> None:
    replicas = [await open_store(), await open_store()]
    await replicas[0].write(lambda tx: tx.workflow_steps.begin(INPUTS))
    results = [StepResult.failure(f"reason {n}") for n in range(6)]

    decided = await asyncio.gather(
        *(
            replicas[n % 2].write(lambda tx, r=result: tx.workflow_steps.decide("Fx0001ABC", r))
            for n, result in enumerate(results)
        )
    )

    assert all(result == decided[0] for result in decided)
    assert decided[0] in results


async def test_an_execution_is_owed_until_completed_then_pruned_later(store: Store) -> None:
    await store.write(lambda tx: tx.workflow_steps.begin(INPUTS))
    owed = await store.read(lambda tx: tx.workflow_steps.unfinished())
    assert [step.inputs for step in owed] == [INPUTS]

    await store.write(lambda tx: tx.workflow_steps.completed("Fx0001ABC"))

    assert await store.read(lambda tx: tx.workflow_steps.unfinished()) == []
    assert await store.write(lambda tx: tx.workflow_steps.prune(timedelta(days=7))) == 0
    assert await store.write(lambda tx: tx.workflow_steps.prune(timedelta(seconds=-1))) == 1
    assert await store.read(lambda tx: tx.workflow_steps.get("Fx0001ABC")) is None
