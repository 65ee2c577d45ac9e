"""The guard in a real Bolt app, in-process: ack first, one effect per request, a failure
the user hears about, and listener tasks that `drain()` can find and wait for."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.features.invite.modals import ADDRESSES_BLOCK, ADDRESSES_INPUT, INVITE_MODAL
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.gencove import GencoveError
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, block_action_body
from invite_bot.slack.guard import (
    INCOMPLETE,
    REQUEST,
    SOMETHING_BROKE,
    Guard,
    Reply,
    Turn,
    answer,
    attach_request,
    gencove_failed,
    then,
)
from invite_bot.slack.inbound import SlackRequest
from invite_bot.slack.outbound import Outbound
from invite_bot.slack.trust import response_hosts
from invite_bot.store.repositories.jobs import Jobs
from invite_bot.store.repositories.links import Links
from tests.support.harness import ADMIN, BOT_TOKEN, BotUnderTest

ACTION = "do_it"


class Recorder:
    """The guard's claim of each delivery, kept in memory."""

    def __init__(self) -> None:
        self.claimed: set[str] = set()

    async def first_delivery(self, key: str) -> bool:
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return True

    def guard(self, outbound: Outbound) -> Guard:
        return Guard(outbound=outbound, first_delivery=self.first_delivery)


@pytest.fixture
async def outbound(slack: FakeSlack) -> AsyncIterator[Outbound]:
    client = AsyncWebClient(
        token=BOT_TOKEN, base_url=slack.api_url, session=aiohttp.ClientSession()
    )
    try:
        yield Outbound(client, redactor=None, response_hosts=response_hosts(slack.api_url))
    finally:
        assert client.session is not None
        await client.session.close()


def notes(slack: FakeSlack) -> list[tuple[str | None, str | None, str | None]]:
    return [(m.channel, m.user, m.text) for m in slack.ephemerals]


def bolt_app(guard: Guard, decide: Callable[[Turn], Reply], *, once: bool = True) -> AsyncApp:
    async def authorize() -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=None, team_id="T1", bot_token="xoxb-test", bot_user_id="U_BOT"
        )

    app = AsyncApp(
        client=AsyncWebClient(),
        authorize=authorize,
        request_verification_enabled=False,
        logger=logging.getLogger("tests.bolt"),
    )
    app.use(attach_request)
    app.action(ACTION)(guard.listener(decide, kind="button", name="do_it", once=once))
    return app


def click(*, user: str | None = "U1", action_ts: str = "1.1", **extra: Any) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "channel": {"id": "C1"},
        "trigger_id": "trig-1",
        "actions": [{"action_id": ACTION, "block_id": "b", "action_ts": action_ts}],
        **extra,
    }
    if user is not None:
        payload["user"] = {"id": user}
    return urlencode({"payload": json.dumps(payload)})


async def dispatch(app: AsyncApp, body: str, **headers: str) -> BoltResponse:
    return await app.async_dispatch(AsyncBoltRequest(body=body, headers=dict(headers)))


async def test_a_listener_still_at_work_after_its_ack_is_found_and_drained(
    outbound: Outbound,
) -> None:
    release, finished = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        await release.wait()
        finished.set()

    guard = Recorder().guard(outbound)
    app = bolt_app(guard, lambda turn: then(work))
    response = await dispatch(app, click())
    assert response.status == 200  # Slack has its answer while the work goes on
    await asyncio.sleep(0.05)
    [task] = guard.listeners_at_work()
    assert not task.done()
    draining = asyncio.create_task(guard.drain(grace=5))
    await asyncio.sleep(0.05)
    assert not draining.done()  # drain waits for the listener ...
    release.set()
    await asyncio.wait_for(draining, 5)
    assert finished.is_set()  # ... which finished its work
    assert guard.listeners_at_work() == []


async def test_drain_cancels_a_listener_that_outlives_the_grace(
    caplog: pytest.LogCaptureFixture, outbound: Outbound
) -> None:
    cancelled = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    guard = Recorder().guard(outbound)
    app = bolt_app(guard, lambda turn: then(work))
    await dispatch(app, click())
    await asyncio.sleep(0.05)
    assert len(guard.listeners_at_work()) == 1
    await guard.drain(grace=0.1)
    assert cancelled.is_set()
    assert guard.listeners_at_work() == []
    assert "stopped with 1 requests unfinished" in caplog.text


async def test_a_redelivery_gets_the_same_ack_and_has_no_second_effect(outbound: Outbound) -> None:
    recorder = Recorder()
    runs: list[str | None] = []

    async def work(turn: Turn) -> None:
        runs.append(turn.request.user_id)

    app = bolt_app(
        recorder.guard(outbound), lambda turn: Reply(ack={"text": "on it"}, then=lambda: work(turn))
    )
    body = click()
    first = await dispatch(app, body)
    retry = await dispatch(app, body, **{"X-Slack-Retry-Num": "1"})
    other = await dispatch(app, click(action_ts="2.2"))  # another click: acts
    assert (first.status, first.body) == (retry.status, retry.body) == (200, "on it")
    assert other.status == 200
    await asyncio.sleep(0.1)
    assert runs == ["U1", "U1"]
    assert len(recorder.claimed) == 2


async def test_once_false_runs_the_work_for_a_redelivery_too(outbound: Outbound) -> None:
    runs: list[int] = []

    async def work() -> None:
        runs.append(1)

    app = bolt_app(Recorder().guard(outbound), lambda turn: then(work), once=False)
    body = click()
    await dispatch(app, body)
    await dispatch(app, body, **{"X-Slack-Retry-Num": "1"})
    await asyncio.sleep(0.1)
    assert runs == [1, 1]


async def test_an_ack_that_is_the_whole_answer_claims_nothing(outbound: Outbound) -> None:
    recorder = Recorder()
    app = bolt_app(recorder.guard(outbound), lambda turn: answer(text="just this"))
    response = await dispatch(app, click())
    assert response.body == "just this"
    assert recorder.claimed == set()


async def until(condition: Callable[[], object]) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


async def test_an_unexpected_failure_is_told_once_and_logged_once(
    caplog: pytest.LogCaptureFixture, outbound: Outbound, slack: FakeSlack
) -> None:
    recorder = Recorder()

    async def work() -> None:
        raise RuntimeError("the database went away")

    app = bolt_app(recorder.guard(outbound), lambda turn: then(work))
    caplog.set_level(logging.INFO)
    response = await dispatch(app, click())
    assert response.status == 200
    await until(lambda: slack.ephemerals)
    await asyncio.sleep(0.05)
    # no response_url: an ephemeral note in the channel (else a DM)
    assert notes(slack) == [("C1", "U1", SOMETHING_BROKE)]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None


async def test_a_gencove_failure_says_what_gencove_said(
    caplog: pytest.LogCaptureFixture, outbound: Outbound, slack: FakeSlack
) -> None:
    recorder = Recorder()

    failure = GencoveError("quota exceeded")

    async def work() -> None:
        raise failure

    app = bolt_app(recorder.guard(outbound), lambda turn: then(work))
    await dispatch(app, click())
    await until(lambda: slack.ephemerals)
    assert notes(slack) == [("C1", "U1", gencove_failed(failure))]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_request_without_what_the_work_needs_says_so(
    outbound: Outbound, slack: FakeSlack
) -> None:
    recorder = Recorder()

    async def work(turn: Turn) -> None:
        _ = turn.request.trigger  # e.g. to open a modal

    app = bolt_app(recorder.guard(outbound), lambda turn: then(lambda: work(turn)))
    await dispatch(app, click(trigger_id=None))
    await until(lambda: slack.ephemerals)
    assert notes(slack) == [("C1", "U1", INCOMPLETE.format(missing="trigger_id"))]


async def test_a_request_naming_nobody_fails_quietly(
    caplog: pytest.LogCaptureFixture, outbound: Outbound, slack: FakeSlack
) -> None:
    recorder = Recorder()

    async def work(turn: Turn) -> None:
        _ = turn.request.user

    app = bolt_app(recorder.guard(outbound), lambda turn: then(lambda: work(turn)))
    response = await dispatch(app, click(user=None))
    assert response.status == 200
    await until(lambda: "names nobody to tell" in caplog.text)
    assert slack.ephemerals == []


async def test_with_a_response_url_the_failure_goes_there(
    outbound: Outbound, slack: FakeSlack
) -> None:
    async def work() -> None:
        raise RuntimeError("boom")

    url = slack.new_response_url()
    request = SlackRequest(
        kind="block_actions", delivery_key="k1", user_id="U1", channel_id="C1", response_url=url
    )
    await Recorder().guard(outbound).after_ack(Turn(request, {}, outbound), work)
    [said] = slack.response_posts(url)
    assert (said["text"], said["response_type"]) == (SOMETHING_BROKE, "ephemeral")
    assert slack.ephemerals == []


async def test_the_middleware_reads_the_request_once_into_the_context() -> None:
    seen: list[Any] = []
    app = bolt_app(Recorder().guard(outbound), lambda turn: answer())

    @app.action("peek")
    async def peek(ack: Callable[[], Awaitable[None]], context: dict[str, Any]) -> None:
        seen.append(context[REQUEST])
        await ack()

    body = click(actions=[{"action_id": "peek", "block_id": "b", "action_ts": "3.3"}])
    await dispatch(app, body, **{"x-slack-retry-num": "2"})
    [request] = seen
    assert isinstance(request, SlackRequest)
    assert (request.kind, request.user_id, request.channel_id) == ("block_actions", "U1", "C1")
    assert request.retry_num == 2


# --- the same, through the real bot over HTTP -------------------------------------------


async def test_a_command_failing_after_its_ack_tells_the_user(
    bot: BotUnderTest, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Links, user_id: str) -> bool:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Links, "delete", broken)
    answer_, url = await bot.command("unlink")
    assert answer_.status == 200
    await slack.wait_for(lambda: slack.response_posts(url))
    await asyncio.sleep(0.2)
    [note] = slack.response_posts(url)
    assert note["text"] == SOMETHING_BROKE
    assert note.get("response_type", "ephemeral") == "ephemeral"


async def test_a_modal_invite_failing_after_its_ack_tells_the_user_in_the_channel(
    bot: BotUnderTest, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Jobs, "create", broken)
    answer_ = await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "ana@lab.org"}},
        private_metadata=json.dumps({"channel_id": "C_GENERAL"}),
    )
    assert answer_.status == 200
    await slack.wait_for(lambda: slack.ephemerals)
    [note] = slack.ephemerals
    assert (note.channel, note.user, note.text) == ("C_GENERAL", ADMIN, SOMETHING_BROKE)


async def test_a_click_that_names_no_user_is_answered_and_does_nothing(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    ana = gencove.add_invitation("ana@lab.org")
    url = slack.new_response_url()
    body = json.loads(
        parse_qs(
            block_action_body(REVOKE, value=str(ana.id), response_url=url).decode()
        )["payload"][0]
    )
    del body["user"]
    answer_ = await bot.send(urlencode({"payload": json.dumps(body)}).encode())
    assert answer_.status == 200
    await slack.wait_for(lambda: slack.response_posts(url))
    [note] = slack.response_posts(url)
    assert note["text"] == INCOMPLETE.format(missing="user")
    assert ana.status == "pending"
    assert gencove.count("DELETE") == 0
