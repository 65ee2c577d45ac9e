"""The real `invite-bot serve` process against both stand-ins, over loopback."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, block_action_body, deliver, slash_command_body
from tests.support.harness import ADMIN, SIGNING_SECRET, bot_environment, sqlite_url
from tests.support.processes import BotProcess, start_bot_process, stop_bot_process


@pytest.fixture
async def bot_process(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), GENCOVE_TIMEOUT="1")
    bot = await start_bot_process(env, tmp_path, "--no-watch")
    try:
        yield bot
    finally:
        await stop_bot_process(bot)
        output = bot.output()
        assert gencove.org_api_key not in output
        assert env["SLACK_BOT_TOKEN"] not in output
        assert SIGNING_SECRET not in output


async def test_real_process_invites_then_revokes_with_one_call_each(
    bot_process: BotProcess, gencove: FakeGencove, slack: FakeSlack
) -> None:
    events = bot_process.url + "/slack/events"
    async with aiohttp.ClientSession() as session:
        gencove.hold = asyncio.Event()
        body = slash_command_body(
            "invite ana@lab.org",
            user_id=ADMIN,
            response_url=slack.new_response_url(),
            trigger_id=slack.new_trigger_id(),
        )
        answer = await deliver(session, events, body, SIGNING_SECRET)
        # acknowledged while Gencove is still holding the create
        assert answer.status == 200
        assert answer.elapsed < 3
        await slack.wait_for(lambda: gencove.count("POST", "/api/v2/invitations/") == 1)
        assert not slack.calls_to("chat.postMessage")
        gencove.hold.set()
        await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=10)
        message = slack.messages_in("C_GENERAL")[0]
        # A person reads before clicking; the bot records where it posted just after
        # Slack answers, and a click in that instant would take the response_url path.
        await asyncio.sleep(0.5)
        ana = gencove.find("ana@lab.org")[0]
        click = block_action_body(
            REVOKE,
            value=str(ana.id),
            user_id=ADMIN,
            message=message,
            block_id=f"inv:{ana.id}",
            response_url=slack.new_response_url(),
        )
        answer = await deliver(session, events, click, SIGNING_SECRET)
        assert answer.status == 200
        await slack.wait_for(lambda: slack.calls_to("chat.update"), timeout=10)
    assert gencove.count("POST", "/api/v2/invitations/") == 1
    assert gencove.count("DELETE", "/api/v2/invitations/") == 1
    assert len(slack.calls_to("chat.update")) == 1
    assert ana.status == "revoked"
    assert f"<@{ADMIN}>" in str(slack.messages[(message.channel, message.ts)].blocks)


async def test_real_process_rejects_a_forged_request(
    bot_process: BotProcess, gencove: FakeGencove
) -> None:
    async with aiohttp.ClientSession() as session:
        body = slash_command_body("invite ana@lab.org", user_id=ADMIN)
        answer = await deliver(
            session, bot_process.url + "/slack/events", body, "wrong-secret-wrong-secret"
        )
    assert answer.status == 401
    await asyncio.sleep(0.2)
    assert gencove.count("*", "/api/v2/") == 0


async def test_bad_settings_stop_start_up_with_one_message(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "GENCOVE_", "INVITE_", "DATABASE_URL", "PORT"))
    }
    env.update(SLACK_BOT_TOKEN="not-a-token", PORT="http", WATCH_INTERVAL="soon")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "invite_bot",
        "serve",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await process.communicate()
    assert process.returncode == 2
    text = err.decode()
    assert "Traceback" not in text
    # SLACK_SIGNING_SECRET: `serve` needs it, and says so in the same message
    for name in (
        "SLACK_BOT_TOKEN",
        "GENCOVE_API_KEY",
        "PORT",
        "WATCH_INTERVAL",
        "SLACK_SIGNING_SECRET",
    ):
        assert name in text
    assert "not-a-token" not in text
