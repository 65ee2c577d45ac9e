"""The Workflow Builder step "Invite to Gencove", run exactly once per execution.

An execution (Slack's function_execution_id) goes through three stored stages:

1. **begun**: its inputs stored (`workflow_steps.begin`); a redelivery finds them;
2. **decided**: the invitation made (an inviter) or the request asked (anyone else), or
   why not, through the same use cases as `/gencove invite`, keyed by the execution so a
   second run finds what the first made (the job's or request's delivery key) before it
   asks Gencove or the inviters anything; the result recorded before Slack is told;
3. **completed**: `functions.completeSuccess` or `completeError` taken by Slack.

A crash or an unreadable answer between stages leaves the execution for `resume` (every
start, then now and then): it finishes the stage it stopped in. Telling Slack again after
an answer that could not be read is safe: the first call had either not landed, or Slack
refuses the second (the execution is no longer running), which counts as told.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from invite_bot.domain.policy import Refused
from invite_bot.domain.requests import Ask
from invite_bot.domain.workflow_steps import StepInputs, StepResult, WorkflowStep
from invite_bot.features.invite.checks import Inviting
from invite_bot.features.workflow.blocks import (
    GENCOVE_REFUSED,
    INVITATION_OUTPUT,
    NO_EMAIL,
    NO_PERSON,
    NOT_INVITED,
    ONE_ADDRESS,
    REQUESTED,
    STATUS_OUTPUT,
    UNKNOWN_ROLE,
    UNREPORTED,
    UNSURE,
    plain,
)
from invite_bot.gencove.roles import Roles, UnknownRole
from invite_bot.jobs.rows import job_rows
from invite_bot.slack.blockkit import Message
from invite_bot.slack.outbound import Outbound
from invite_bot.store import InviteJob, NewInviteJob, Store, Tx

log = logging.getLogger(__name__)

# Slack's answers to a completion of an execution that is no longer running: told already.
TOLD_ALREADY = frozenset({"execution_not_in_running_state", "function_execution_not_found"})
JOB_WAIT = 120.0  # seconds to wait for a job another run (or replica) is finishing
JOB_POLL = 0.1


class Requesting(Protocol):
    """What the step needs of the requests feature: a member asks instead."""

    async def asks_instead(self, user_id: str) -> Refused | None: ...

    async def ask(self, wish: Ask, *, tell: Callable[[Message], Awaitable[object]]) -> None: ...


class Stepping:
    """Runs executions of the step (see the module's docstring)."""

    def __init__(
        self,
        *,
        store: Store,
        inviting: Inviting,
        asking: Requesting,
        roles: Roles,
        outbound: Outbound,
    ) -> None:
        self.store, self.inviting, self.asking, self.outbound = store, inviting, asking, outbound
        self.roles = roles
        self._running: dict[str, asyncio.Future[None]] = {}  # execution id -> its run here

    async def run(self, inputs: StepInputs) -> None:
        """Run the execution to its completion (or as far as it can go now)."""
        execution = inputs.execution_id
        running = self._running.get(execution)
        if running is not None:  # another delivery of it is at work in this process
            await asyncio.shield(running)
            return
        task = asyncio.ensure_future(self._run(inputs))
        self._running[execution] = task
        try:
            await task
        finally:
            self._running.pop(execution, None)

    async def resume(self) -> int:
        """Finish the executions Slack was not told of; returns how many were looked at."""
        owed = await self.store.read(lambda tx: tx.workflow_steps.unfinished())
        for step in owed:
            try:
                await self.run(step.inputs)
            except Exception:
                log.exception("workflow step %s not finished; tried again later", _id(step))
        return len(owed)

    async def _run(self, inputs: StepInputs) -> None:
        step = await self.store.write(lambda tx: tx.workflow_steps.begin(inputs))
        if step.completed_at is not None:
            log.info("workflow step %s was completed already", _id(step))
            return
        result = step.result
        if result is None:
            decided = await self._decide(step.inputs)
            if decided is None:
                log.info("workflow step %s: its invitation is still being made", _id(step))
                return
            execution = inputs.execution_id
            result = await self.store.write(lambda tx: tx.workflow_steps.decide(execution, decided))
        await self._tell_slack(inputs.execution_id, result)

    async def _tell_slack(self, execution: str, result: StepResult) -> None:
        """completeSuccess or completeError; recorded as done once Slack has it."""
        if result.outcome == "success":
            failure = await self.outbound.complete_step(execution, result.outputs)
        else:
            failure = await self.outbound.fail_step(execution, result.error or NOT_INVITED)
        if failure is not None and failure.outcome != "refused":
            # Not taken, or unreadable: resume tells Slack again (a second one is refused).
            log.warning("workflow step %s: Slack not told yet (%s)", execution, failure.error)
            return
        if failure is not None and failure.error not in TOLD_ALREADY:
            # Repeating it changes nothing; a refused success still ends the step, failed.
            log.error("workflow step %s: Slack refused its completion (%s)", execution, failure)
            if result.outcome == "success":
                reason = UNREPORTED.format(error=failure.error)
                await self.outbound.fail_step(execution, reason)
        await self.store.write(lambda tx: tx.workflow_steps.completed(execution))

    async def _decide(self, inputs: StepInputs) -> StepResult | None:
        """The step's result; None while its invitation is still being made elsewhere."""
        user = inputs.user_id
        if not user:
            return StepResult.failure(NO_PERSON)
        if not inputs.email.strip():
            return StepResult.failure(NO_EMAIL)
        parsed, refusal = self.inviting.read_addresses(inputs.email)
        if refusal is not None:
            return StepResult.failure(plain(refusal.message))
        if parsed.count != 1:
            return StepResult.failure(ONE_ADDRESS.format(count=parsed.count))
        key = f"workflow:{inputs.execution_id}"
        # Look before repeating: what an earlier run of this execution made.
        job, asked = await self._made(key)
        said: list[str] = []
        if job is None and asked is None:
            role = inputs.role
            if role:  # checked before anything is sent, as `/gencove invite --role` is
                checked = await self.roles.organization_role(role)
                if isinstance(checked, UnknownRole):
                    roles = ", ".join(checked.roles)
                    return StepResult.failure(plain(UNKNOWN_ROLE.format(role=role, roles=roles)))
                role = checked
            await self._act(user, parsed.addresses[0], role, key, said)
            job, asked = await self._made(key)
        if asked is not None:
            return StepResult.success(**{STATUS_OUTPUT: REQUESTED})
        if job is None:  # refused before anything was made
            reason = plain(said[0]) if said else NOT_INVITED
            return StepResult.failure(reason)
        return await self._job_result(job)

    async def _act(
        self, user: str, address: str, role: str | None, key: str, said: list[str]
    ) -> None:
        """Invite (an inviter) or ask the inviters (anyone else); refusals into `said`."""

        async def tell(message: Message | str) -> None:
            said.append(message if isinstance(message, str) else message.text)

        refusal = await self.asking.asks_instead(user)
        if refusal is not None:
            # As `/gencove invite` from a member: a request, posted where requests go.
            await self.asking.ask(Ask(user, user, (address,), role, None, key), tell=tell)
            return
        job = NewInviteJob(
            slack_user_id=user,
            channel_id=user,  # the result message: in the person's DM with the bot
            response_url=None,
            role=role,
            addresses=[address],
            delivery_key=key,
        )
        await self.inviting.invite_if_allowed(job, tell=tell)

    async def _made(self, key: str) -> tuple[InviteJob | None, int | None]:
        """The job or the request (its id) made under `key`, if any."""

        def find(tx: Tx) -> tuple[InviteJob | None, int | None]:
            request = tx.requests.by_delivery_key(key)
            return tx.jobs.by_delivery_key(key), request.id if request else None

        return await self.store.read(find)

    async def _job_result(self, job: InviteJob) -> StepResult | None:
        """The invitation's outcome, once the job has one (it may be finishing elsewhere)."""
        deadline = time.monotonic() + JOB_WAIT
        job_id = job.id
        current: InviteJob | None = job
        while current is not None and any(item.outcome is None for item in current.items):
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(JOB_POLL)
            current = await self.store.read(lambda tx: tx.jobs.get(job_id))
        if current is None:
            return StepResult.failure(NOT_INVITED)
        row = (await job_rows(self.store, current))[0]
        if row.status == "failed":
            reason = GENCOVE_REFUSED.format(email=row.email, reason=row.error or "no reason given")
            return StepResult.failure(plain(reason))
        if row.status == "unsure":
            return StepResult.failure(UNSURE.format(email=row.email))
        outputs = {STATUS_OUTPUT: row.status}
        if row.invitation_id:
            outputs[INVITATION_OUTPUT] = row.invitation_id
        return StepResult("success", outputs)


def _id(step: WorkflowStep) -> str:
    return step.inputs.execution_id
