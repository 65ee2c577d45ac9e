"""The Workflow Builder step "Invite to Gencove" end to end: the local Slack starts an
execution and delivers its `function_executed` event to the real bot, which invites (an
inviter) or asks the inviters (anyone else), and completes the execution exactly once.

Each test waits for outcomes, never for time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from invite_bot.features.workflow.blocks import (
    EMAIL_INPUT,
    FUNCTION,
    INVITATION_OUTPUT,
    PERSON_INPUT,
    REQUESTED,
    ROLE_INPUT,
    STATUS_OUTPUT,
)
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, function_executed_body
from invite_bot.playground.slack.functions import Execution, user_context
from tests.faults.gencove import Fault, GencoveFaults
from tests.faults.slack import SlackFault, SlackFaults
from tests.support.harness import ADMIN, OUTSIDER, BotUnderTest, running_bot, sqlite_url

APPROVALS = "C0APPROVE"


@pytest.fixture
async def bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "ALLOWED_EMAIL_DOMAINS": "lab.org"}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as under_test:
        yield under_test


def _inputs(email: str, person: str | None = ADMIN, role: str | None = None) -> dict[str, Any]:
    given: dict[str, Any] = {EMAIL_INPUT: email}
    if person is not None:
        given[PERSON_INPUT] = user_context(person)
    if role is not None:
        given[ROLE_INPUT] = role
    return given


async def _run(bot: BotUnderTest, inputs: Mapping[str, Any]) -> Execution:
    """A workflow reaches the step: the local Slack starts it and delivers the event."""
    execution = bot.slack.functions.start(FUNCTION, inputs)
    answer = await bot.send(function_executed_body(execution))
    assert answer.status == 200
    return execution


async def _ended(bot: BotUnderTest, execution: Execution) -> Execution:
    await bot.slack.wait_for(lambda: execution.outcome is not None, timeout=30)
    return execution


def _completions(slack: FakeSlack, execution: Execution) -> list[Any]:
    """The completions Slack took for `execution`: answered ok, or taken with the answer
    lost on the way back (a refused repeat is not one)."""
    return [
        call
        for method in ("functions.completeSuccess", "functions.completeError")
        for call in slack.calls_to(method)
        if call.args.get("function_execution_id") == execution.id
        and (call.ok or call.fault in ("lost", "garbled"))
    ]


async def _completed_in_store(bot: BotUnderTest, execution: Execution) -> bool:
    step = await bot.store.read(lambda tx: tx.workflow_steps.get(execution.id))
    return step is not None and step.completed_at is not None


async def test_an_inviter_s_step_invites_and_completes_with_the_invitation(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    execution = await _ended(bot, await _run(bot, _inputs("ana@lab.org")))
    invitations = gencove.find("ana@lab.org")
    assert len(invitations) == 1
    assert execution.outcome == "completed"
    assert execution.outputs == {
        STATUS_OUTPUT: "pending",
        INVITATION_OUTPUT: str(invitations[0].id),
    }
    # The inviter sees the invitation as any invite shows it: in their DM, with Revoke.
    await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    assert slack.calls_to("chat.postMessage")[0].args["channel"] == ADMIN


async def test_a_member_s_step_asks_the_inviters_and_completes_as_requested(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    execution = await _ended(bot, await _run(bot, _inputs("bob@lab.org", person=OUTSIDER)))
    assert execution.outcome == "completed"
    assert execution.outputs == {STATUS_OUTPUT: REQUESTED}
    assert gencove.find("bob@lab.org") == []
    await slack.wait_for(lambda: slack.messages_in(APPROVALS))
    requests = await bot.store.read(lambda tx: tx.requests.open_requests(requester=OUTSIDER))
    assert [r.addresses for r in requests] == [("bob@lab.org",)]


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        (_inputs("not-an-address"), "not valid email addresses: not-an-address"),
        (_inputs("eve@elsewhere.com"), "only go to addresses at lab.org"),
        (_inputs("ana@lab.org", person=None), "Requested by"),
        # a bare user id is what a builder could set to an inviter's: not trusted
        ({EMAIL_INPUT: "ana@lab.org", PERSON_INPUT: ADMIN}, "Requested by"),
        (_inputs("ana@lab.org bob@lab.org"), "one address at a time"),
        (
            _inputs("ana@lab.org", role="superuser"),
            "superuser is not one of the organization's roles (",
        ),
    ],
)
async def test_a_step_that_cannot_invite_fails_with_a_readable_reason(
    bot: BotUnderTest,
    gencove: FakeGencove,
    slack: FakeSlack,
    inputs: dict[str, Any],
    reason: str,
) -> None:
    execution = await _ended(bot, await _run(bot, inputs))
    assert execution.outcome == "failed"
    assert execution.error is not None
    assert reason in execution.error
    assert "`" not in execution.error
    assert gencove.count("POST", "/api/v2/invitations/") == 0


async def test_a_role_typed_in_another_case_is_the_organization_s(
    bot: BotUnderTest, gencove: FakeGencove
) -> None:
    execution = await _ended(bot, await _run(bot, _inputs("ana@lab.org", role="ADMIN")))
    assert execution.outcome == "completed"
    [invitation] = gencove.find("ana@lab.org")
    assert invitation.role == "admin"


async def test_gencove_s_refusal_fails_the_step_with_gencove_s_words(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults
) -> None:
    refusal = Fault.status(400, {"email": ["This address cannot be invited."]})
    gencove_faults.inject("POST", "/api/v2/invitations/", refusal)
    execution = await _ended(bot, await _run(bot, _inputs("ana@lab.org")))
    assert execution.outcome == "failed"
    assert execution.error is not None
    assert "Gencove refused to invite ana@lab.org" in execution.error
    assert "cannot be invited" in execution.error


async def test_a_redelivered_execution_invites_and_completes_once(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    execution = bot.slack.functions.start(FUNCTION, _inputs("ana@lab.org"))
    body = function_executed_body(execution)
    await bot.send(body)
    await bot.send(body, retry_num=1)  # Slack's retry: the same event again
    # and the same execution in an event of another id (a second delivery of it)
    await bot.send(function_executed_body(execution))
    await _ended(bot, execution)
    await bot.settled(timeout=30)
    assert len(gencove.find("ana@lab.org")) == 1
    assert len(_completions(slack, execution)) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_an_unreadable_completion_is_told_again_after_a_restart_exactly_once(
    gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    """The invitation takes effect, Slack takes the completion but its answer is lost, and
    the bot stops: the next bot finds the outcome stored and tells Slack again, which
    refuses a second completion; so one invitation, one completion, and recorded done."""
    url = sqlite_url(tmp_path)
    slack_faults.inject("functions.completeSuccess", SlackFault.lost())
    async with running_bot(gencove, slack, url) as first:
        execution = await _run(first, _inputs("ana@lab.org"))
        await _ended(first, execution)
        await first.settled(timeout=30)
        assert not await _completed_in_store(first, execution)
    async with running_bot(gencove, slack, url) as second:
        assert await second.bot.features.stepping.resume() == 1
        assert await _completed_in_store(second, execution)
        assert await second.bot.features.stepping.resume() == 0
    assert len(gencove.find("ana@lab.org")) == 1
    assert len(_completions(slack, execution)) == 1
    # told again, and refused as Slack refuses a second completion: counted as told
    repeats = slack.calls_to("functions.completeSuccess")
    assert [c.response.get("error") for c in repeats[1:] if c.response] == [
        "execution_not_in_running_state"
    ]
    assert execution.outputs[STATUS_OUTPUT] == "pending"


async def test_a_completion_slack_did_not_take_is_made_after_a_restart(
    gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    """Slack is down when the step ends: the outcome waits in the store, the invitation is
    not made again, and the next bot completes the execution."""
    url = sqlite_url(tmp_path)
    slack_faults.inject("functions.completeSuccess", *[SlackFault.status(503)] * 5)
    async with running_bot(gencove, slack, url) as first:
        execution = await _run(first, _inputs("ana@lab.org"))
        await first.slack.wait_for(lambda: gencove.find("ana@lab.org"), timeout=30)
        await first.settled(timeout=30)
        assert execution.outcome is None
    slack_faults.reset()
    async with running_bot(gencove, slack, url) as second:
        await second.bot.features.stepping.resume()
        # Delivered once more, it is finished already: nothing is asked again.
        await second.send(function_executed_body(execution))
        await second.settled(timeout=30)
    assert execution.outcome == "completed"
    assert len(gencove.find("ana@lab.org")) == 1
    assert len(_completions(slack, execution)) == 1


async def test_outputs_slack_refuses_end_the_step_failed_saying_so(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    """Repeating a refused completion changes nothing: the step still ends, as failed, and
    the person reads that the invitation was made all the same."""
    slack_faults.inject(
        "functions.completeSuccess", SlackFault.error("parameter_validation_failed")
    )
    execution = await _ended(bot, await _run(bot, _inputs("ana@lab.org")))
    assert execution.outcome == "failed"
    assert execution.error is not None
    assert "The step was done, but Slack refused its result" in execution.error
    assert len(gencove.find("ana@lab.org")) == 1
    await bot.settled(timeout=30)
    assert await _completed_in_store(bot, execution)


async def test_an_address_already_invited_is_not_invited_again(
    bot: BotUnderTest, gencove: FakeGencove
) -> None:
    """The duplicate guard of every invite: the pending invitation is the step's output."""
    pending = gencove.add_invitation("ana@lab.org")
    execution = await _ended(bot, await _run(bot, _inputs("ana@lab.org")))
    assert execution.outputs == {STATUS_OUTPUT: "pending", INVITATION_OUTPUT: str(pending.id)}
    assert gencove.count("POST", "/api/v2/invitations/") == 0


async def test_the_rate_limit_refuses_a_step_with_the_limit_s_words(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_RATE_LIMIT="1/hour") as bot:
        first = await _ended(bot, await _run(bot, _inputs("ana@lab.org")))
        second = await _ended(bot, await _run(bot, _inputs("bob@lab.org")))
    assert first.outcome == "completed"
    assert second.outcome == "failed"
    assert second.error is not None
    assert "you can send 0 more right now (the limit is 1 " in second.error
    assert gencove.find("bob@lab.org") == []
