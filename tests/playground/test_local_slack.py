"""The fake Slack must behave like Slack toward the real slack_sdk / slack_bolt clients."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from invite_bot.playground.slack import (
    FakeSlack,
    block_action_body,
    deliver,
    sign,
    slash_command_body,
    validate_blocks,
    view_submission_body,
)
from tests.faults import SlackFault, SlackFaults

TOKEN = "xoxb-test-123"
SECRET = "signing-secret-abc"
ROOT = Path(__file__).resolve().parents[2]


def button(text: str = "Approve", action_id: str = "approve", value: str = "1") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=slack.api_url)


async def test_auth_test_and_bad_tokens(slack: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["user_id"] == "U_BOT"
    assert resp["team_id"] == "T1"
    with pytest.raises(SlackApiError) as bad:
        await AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert bad.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        await AsyncWebClient(base_url=slack.api_url).auth_test()
    assert missing.value.response["error"] == "not_authed"
    assert [c.token for c in slack.calls_to("auth.test")] == [TOKEN, "xoxb-wrong", None]
    assert slack.violations == []


async def test_post_then_update(slack: FakeSlack, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="C1", text="hello", blocks=[section("hi")])
    second = await client.chat_postMessage(channel="C1", text="again")
    assert float(second["ts"]) > float(first["ts"])
    await client.chat_update(
        channel="C1", ts=first["ts"], text="done", blocks=[section("*done*", "b1")]
    )
    msg = slack.messages[("C1", first["ts"])]
    assert msg.text == "done"
    assert msg.blocks == [section("*done*", "b1")]
    assert [v["text"] for v in msg.history] == ["hello", "done"]
    with pytest.raises(SlackApiError) as err:
        await client.chat_update(channel="C1", ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"
    # form-encoded bodies: blocks arrive as a JSON string and are decoded
    await client.api_call(
        "chat.postMessage",
        data={"channel": "C2", "text": "f", "blocks": json.dumps([section("x")])},
    )
    assert slack.calls_to("chat.postMessage")[-1].args["blocks"] == [section("x")]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_not_in_channel_and_argument_errors(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.not_in_channel.add("C_PRIVATE")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C_PRIVATE", text="hi")
    assert err.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1")
    assert err.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert err.value.response["error"] == "msg_too_long"


@pytest.mark.parametrize(
    "blocks",
    [
        [section(f"line {i}") for i in range(51)],
        [{"type": "actions", "elements": [button(text="x" * 76)]}],
        [section("a", "same"), section("b", "same")],
    ],
    ids=["51-blocks", "76-char-button", "duplicate-block-id"],
)
async def test_invalid_blocks(
    slack: FakeSlack, client: AsyncWebClient, blocks: list[dict[str, Any]]
) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="t", blocks=blocks)
    assert err.value.response["error"] == "invalid_blocks"
    assert err.value.response["errors"]
    assert [v.error for v in slack.violations] == ["invalid_blocks"]
    assert slack.messages == {}


def test_validate_blocks_limits() -> None:
    assert validate_blocks([section("ok"), {"type": "actions", "elements": [button()]}]) == []
    long_value = {"type": "actions", "elements": [button(value="v" * 2001)]}
    assert validate_blocks([long_value])
    too_many = {"type": "actions", "elements": [button(action_id=f"a{i}") for i in range(26)]}
    assert validate_blocks([too_many])
    confirm = dict(
        button(),
        confirm={
            "title": {"type": "plain_text", "text": "t" * 101},
            "text": {"type": "plain_text", "text": "ok"},
            "confirm": {"type": "plain_text", "text": "Yes"},
            "deny": {"type": "plain_text", "text": "No"},
        },
    )
    assert validate_blocks([{"type": "actions", "elements": [confirm]}])
    assert validate_blocks([section("x" * 3001)])
    assert validate_blocks([{"type": "no_such_block"}])


async def test_views_and_users(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.add_user("U1", name="ana", is_admin=True)
    slack.usergroups["S1"] = ["U1", "U2"]
    assert (await client.users_info(user="U1"))["user"]["is_admin"] is True
    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
    for call, error in [
        (client.users_info(user="U404"), "user_not_found"),
        (client.usergroups_users_list(usergroup="S404"), "no_such_subteam"),
        (client.api_call("files.upload"), "unknown_method"),
    ]:
        with pytest.raises(SlackApiError) as err:
            await call
        assert err.value.response["error"] == error
    view = {
        "type": "modal",
        "callback_id": "invite",
        "title": {"type": "plain_text", "text": "Invite"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "email",
                "label": {"type": "plain_text", "text": "Email"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }
    opened = await client.views_open(trigger_id=slack.new_trigger_id(), view=view)
    view_id = opened["view"]["id"]
    await client.views_update(view_id=view_id, view={**view, "callback_id": "invite2"})
    assert slack.views[view_id].view["callback_id"] == "invite2"
    with pytest.raises(SlackApiError) as err:
        await client.views_open(
            trigger_id="t", view={**view, "title": {"type": "plain_text", "text": "x" * 25}}
        )
    assert err.value.response["error"] == "invalid_arguments"
    assert [v.method for v in slack.violations] == ["files.upload", "views.open"]


async def test_rate_limit_is_retried_by_sdk_handler(
    slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    client = AsyncWebClient(
        token=TOKEN,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    slack_faults.inject("chat.postMessage", SlackFault.rate_limited(retry_after=0))
    resp = await client.chat_postMessage(channel="C1", text="eventually")
    assert resp["ok"] is True
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.messages) == 1


async def test_other_faults(
    slack: FakeSlack, slack_faults: SlackFaults, client: AsyncWebClient
) -> None:
    slack_faults.inject("auth.test", SlackFault.status(503), SlackFault.error("fatal_error"))
    for expected in (503, 200):
        with pytest.raises(SlackApiError) as err:
            await client.auth_test()
        assert err.value.response.status_code == expected
    slack_faults.inject("auth.test", SlackFault.reset())
    await client.auth_test()  # default AsyncConnectionErrorRetryHandler retries once
    assert [c.fault for c in slack.calls_to("auth.test")] == ["status", "error", "reset", None]


async def test_response_url_recorded_then_refused(slack: FakeSlack) -> None:
    url = slack.new_response_url()
    webhook = AsyncWebhookClient(url)
    for i in range(5):
        resp = await webhook.send(text=f"reply {i}", response_type="ephemeral")
        assert resp.status_code == 200
    refused = await webhook.send(text="one too many")
    assert refused.status_code == 404
    assert json.loads(refused.body)["error"] == "used_url"
    assert [p["text"] for p in slack.response_posts(url)] == [f"reply {i}" for i in range(5)]
    bad = await AsyncWebhookClient(slack.new_response_url()).send(
        text="t", blocks=[section("a", "b"), section("a", "b")]
    )
    assert bad.status_code == 400
    assert [v.error for v in slack.violations] == ["used_url", "invalid_blocks"]
    assert "one too many" in slack.all_text()


async def test_wait_for_background_work(slack: FakeSlack, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C1", text="<@U1> &lt;x&gt;")

    task = asyncio.create_task(later())
    calls = await slack.wait_for(lambda: slack.calls_to("chat.postMessage"), timeout=2)
    await task
    assert len(calls) == 1
    assert "&lt;x&gt;" in slack.all_text()
    with pytest.raises(TimeoutError):
        await slack.wait_for(lambda s: s.calls_to("chat.update"), timeout=0.05)


def test_sign_is_accepted_by_slack_sdk_verifier() -> None:
    body = slash_command_body("invite a@b.org", response_url="http://127.0.0.1:1/r")
    headers = sign(body, SECRET)
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = sign(body, SECRET, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)
    fields = parse_qs(body.decode())
    assert fields["text"] == ["invite a@b.org"]
    assert fields["command"] == ["/gencove"]


async def test_bodies_drive_a_real_bolt_app(slack: FakeSlack) -> None:
    """Signed slash command / button click / view submission, through Bolt, to the fake."""
    bolt = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=slack.api_url),
    )
    seen: dict[str, Any] = {}

    @bolt.command("/gencove")
    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        seen["command"] = command["text"]
        await respond(text=f"got {command['text']}")

    @bolt.action("approve")
    async def on_click(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        seen["action"] = body["actions"][0]

    @bolt.view("invite")
    async def on_submit(ack: AsyncAck, view: dict[str, Any]) -> None:
        await ack()
        seen["values"] = view["state"]["values"]

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    try:
        async with aiohttp.ClientSession() as session:
            response_url = slack.new_response_url()
            body = slash_command_body("list", response_url=response_url)
            status, _, elapsed = await deliver(session, url, body, SECRET)
            assert status == 200
            assert elapsed < 3
            await slack.wait_for(lambda: slack.response_posts(response_url))
            assert slack.response_posts(response_url)[0]["text"] == "got list"

            posted = await bolt.client.chat_postMessage(
                channel="C1",
                text="pending",
                blocks=[
                    section("Invite?", "q"),
                    {"type": "actions", "block_id": "acts", "elements": [button(value="inv-7")]},
                ],
            )
            message = slack.messages[("C1", posted["ts"])]
            click = block_action_body("approve", message=message)
            assert (await deliver(session, url, click, SECRET)).status == 200
            assert seen["action"]["value"] == "inv-7"
            assert seen["action"]["block_id"] == "acts"

            submit = view_submission_body("invite", {"email": {"value": "a@b.org"}})
            assert (await deliver(session, url, submit, SECRET)).status == 200
            assert seen["values"]["email"]["value"]["value"] == "a@b.org"

            forged = await deliver(session, url, body, SECRET, signature="v0=" + "0" * 64)
            assert forged.status == 401
            retried = await deliver(session, url, body, SECRET, retry_num=1, retry_reason="x")
            assert retried.status == 200
    finally:
        await runner.cleanup()
    assert seen["command"] == "list"
    assert slack.violations == []


async def test_standalone_ready_and_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "invite_bot.playground.slack",
        "--port",
        "0",
        "--bot-token",
        TOKEN,
        "--interceptor",
        "tests.faults:SlackFaults",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 15)).decode().strip()
        assert line.startswith("READY http://127.0.0.1:")
        base = line.split(" ", 1)[1]
        client = AsyncWebClient(token=TOKEN, base_url=f"{base}/api/")
        async with aiohttp.ClientSession() as session:
            await session.post(f"{base}/_fake/users", json={"id": "U9", "name": "bo"})
            assert (await client.users_info(user="U9"))["user"]["name"] == "bo"
            await session.post(
                f"{base}/_fake/inject",
                json={"method": "chat.postMessage", "faults": [{"kind": "error", "error": "x"}]},
            )
            with pytest.raises(SlackApiError):
                await client.chat_postMessage(channel="C1", text="hi")
            async with session.get(f"{base}/_fake/calls") as resp:
                calls = await resp.json()
        assert [c["method"] for c in calls] == ["users.info", "chat.postMessage"]
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
