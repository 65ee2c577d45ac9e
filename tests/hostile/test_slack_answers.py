"""Slack answers that cannot be read after the request took effect: "may have happened".

The bot must look (the channel's history, by the message's metadata key) before posting
again, and tell the inviter the truth: one result message, no "not finished" note.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from invite_bot.slack.errors import classify
from invite_bot.slack.retries import SafeRetry, method_of
from tests.faults import SlackFault, SlackFaults
from tests.support.harness import BotUnderTest
from tests.support.messages import message_text
from tests.support.waiting import until


async def _finished(bot: BotUnderTest) -> bool:
    job = await bot.store.read(lambda tx: tx.jobs.get(1))
    return job is not None and job.finished_at is not None


@pytest.mark.parametrize("spoiled", [SlackFault.garbled(), SlackFault.lost()], ids=["cut", "lost"])
async def test_a_result_post_that_landed_but_whose_answer_was_spoiled_is_not_posted_again(
    bot: BotUnderTest,
    gencove: FakeGencove,
    slack: FakeSlack,
    slack_faults: SlackFaults,
    spoiled: SlackFault,
) -> None:
    slack_faults.inject("chat.postMessage", spoiled)
    _, url = await bot.command("invite ana@lab.org")
    await slack.wait_for(lambda: slack.calls_to("conversations.history"))
    await until(lambda: not bot.bot.jobs.holding.running)
    assert await _finished(bot)
    [message] = slack.messages_in("C_GENERAL")
    assert "ana@lab.org" in message_text(message)
    assert len(slack.calls_to("chat.postMessage")) == 1  # looked, found, did not repeat
    assert slack.response_posts(url) == []  # nobody was told it went wrong
    assert slack.ephemerals == []
    # the message was recorded where it is: a click on it updates it in place
    job = await bot.store.read(lambda tx: tx.jobs.get(1))
    assert job is not None
    assert (job.message_channel_id, job.message_ts) == (message.channel, message.ts)
    assert len(gencove.find("ana@lab.org")) == 1


async def test_a_result_post_answered_500_is_looked_for_then_posted_once(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    slack_faults.inject("chat.postMessage", SlackFault.status(500))
    await bot.command("invite ana@lab.org")
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    await until(lambda: not bot.bot.jobs.holding.running)
    await asyncio.sleep(0.2)
    assert len(slack.messages_in("C_GENERAL")) == 1
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [500, 200]
    assert len(slack.calls_to("conversations.history")) == 1
    assert await _finished(bot)


def test_a_non_json_answer_is_classified_without_crashing() -> None:
    from slack_sdk.errors import SlackApiError

    class RawAnswer:  # what slack_sdk hands over for a body that is not JSON
        status = 200

    failure = classify(SlackApiError("cut off", RawAnswer()))
    assert failure.may_have_happened
    assert failure.error == "unreadable_answer"
    assert classify(TimeoutError()).may_have_happened


@pytest.mark.parametrize(
    ("method", "status", "error", "repeated"),
    [
        ("chat.postMessage", 500, None, False),  # may have landed: delivery looks first
        ("chat.postMessage", 503, None, False),  # Slack promises nothing: look first
        ("chat.postMessage", None, "lost", False),
        ("chat.postMessage", None, "never_connected", True),
        ("chat.update", 500, None, True),  # the same text however often it lands
        ("chat.update", None, "lost", True),
        ("chat.postMessage", 400, None, False),
    ],
)
async def test_only_calls_that_cannot_take_effect_twice_are_repeated_by_slack_sdk(
    method: str, status: int | None, error: str | None, repeated: bool
) -> None:
    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.response import HttpResponse
    from slack_sdk.http_retry.state import RetryState

    url = f"http://127.0.0.1:9/api/{method}"
    assert method_of(url + "?x=1") == method
    request = HttpRequest(method="POST", url=url, headers={})
    response = HttpResponse(status_code=status, headers={}) if status else None
    failure: Exception | None = None
    if error == "lost":
        failure = aiohttp.ServerDisconnectedError()
    elif error == "never_connected":
        failure = aiohttp.ClientConnectorError(
            aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 9, False, True, None, None, None),
            OSError(111, "refused"),
        )
    verdict = await SafeRetry().can_retry_async(
        state=RetryState(), request=request, response=response, error=failure
    )
    assert verdict is repeated
