"""kill -9 of the real bot process after Gencove made the step's invitation but before the
step was completed; the restarted bot finishes the execution: one invitation, one
completion, with the invitation's id."""

from __future__ import annotations

import signal
from pathlib import Path

import aiohttp

from invite_bot.features.workflow.blocks import (
    EMAIL_INPUT,
    FUNCTION,
    INVITATION_OUTPUT,
    PERSON_INPUT,
    STATUS_OUTPUT,
)
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, deliver, function_executed_body
from invite_bot.playground.slack.functions import user_context
from tests.faults.gencove import Fault, GencoveFaults
from tests.support.harness import ADMIN, SIGNING_SECRET, bot_environment, sqlite_url
from tests.support.processes import BotProcess, start_bot_process, stop_bot_process
from tests.support.waiting import until

CREATE = "/api/v2/invitations/"


async def test_a_bot_killed_after_the_invitation_completes_the_step_on_restart_once(
    gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(
        gencove,
        slack,
        sqlite_url(tmp_path),
        GENCOVE_TIMEOUT="60",  # the bot waits for Gencove's answer, and dies waiting
        INVITE_JOB_LEASE="2",  # seconds: how soon a dead owner's job is taken over
    )
    # Gencove makes the invitation, then its answer does not come: the bot is killed then.
    gencove_faults.inject("POST", CREATE, Fault.hang(120, after_effect=True))
    execution = slack.functions.start(
        FUNCTION, {EMAIL_INPUT: "ana@lab.org", PERSON_INPUT: user_context(ADMIN)}
    )
    first = await start_bot_process(env, tmp_path, "--no-watch")
    second: BotProcess | None = None
    try:
        async with aiohttp.ClientSession() as session:
            answer = await deliver(
                session,
                first.url + "/slack/events",
                function_executed_body(execution),
                SIGNING_SECRET,
            )
        assert answer.status == 200
        await until(lambda: gencove.find("ana@lab.org"), timeout=30)
        first.process.send_signal(signal.SIGKILL)
        await first.process.wait()
        assert execution.outcome is None

        second = await start_bot_process(env, tmp_path, "--no-watch")
        await slack.wait_for(lambda: execution.outcome is not None, timeout=90)
    finally:
        await stop_bot_process(first)
        if second is not None:
            await stop_bot_process(second)

    [invitation] = gencove.find("ana@lab.org")
    assert execution.outcome == "completed"
    assert execution.outputs == {STATUS_OUTPUT: "pending", INVITATION_OUTPUT: str(invitation.id)}
    assert gencove.count("POST", CREATE) == 1
    completions = slack.calls_to("functions.completeSuccess")
    assert [c.ok for c in completions] == [True]
