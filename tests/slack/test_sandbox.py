"""`invite-bot serve --gencove-sandbox`: a (local stand-in of a) real Slack workspace in
front of the embedded Gencove sandbox; no Gencove setting, and every message says so."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from invite_bot.playground.slack import FakeSlack, deliver, slash_command_body
from invite_bot.slack.sandbox import NOTE, NOTE_BLOCK, labelled
from tests.support.harness import ADMIN, BOT_TOKEN, SIGNING_SECRET
from tests.support.processes import start_bot_process, stop_bot_process


def _has_note(blocks: object) -> bool:
    return isinstance(blocks, list) and bool(blocks) and blocks[-1].get("block_id") == NOTE_BLOCK


async def test_every_message_says_gencove_is_the_sandbox(slack: FakeSlack, tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "INVITE_ADMINS": ADMIN,
        "GENCOVE_API_KEY": "",  # none is needed
        "GENCOVE_API_URL": "http://127.0.0.1:9/not-used",
        "DATABASE_URL": "sqlite+aiosqlite:///./must-not-be-used.sqlite3",
    }
    bot = await start_bot_process(env, tmp_path, "--no-watch", "--gencove-sandbox")
    try:
        events = bot.url + "/slack/events"
        async with aiohttp.ClientSession() as session:
            # an acknowledgement
            help_answer = await deliver(session, events, slash_command_body("help"), SIGNING_SECRET)
            assert help_answer.status == 200
            assert _has_note(help_answer.json()["blocks"])
            # a channel message
            url = slack.new_response_url()
            body = slash_command_body(
                "invite sandy@lab.org", user_id=ADMIN, response_url=url,
                trigger_id=slack.new_trigger_id(),
            )
            assert (await deliver(session, events, body, SIGNING_SECRET)).status == 200
            await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=20)
            [message] = slack.messages_in("C_GENERAL")
            assert "sandy@lab.org" in json.dumps(message.blocks)
            assert _has_note(message.blocks)
            # a response_url answer
            url = slack.new_response_url()
            body = slash_command_body("list", user_id=ADMIN, response_url=url)
            assert (await deliver(session, events, body, SIGNING_SECRET)).status == 200
            await slack.wait_for(lambda: slack.response_posts(url), timeout=20)
            [listed] = slack.response_posts(url)
            assert "sandy@lab.org" in json.dumps(listed["blocks"])
            assert _has_note(listed["blocks"])
    finally:
        await stop_bot_process(bot)
    output = bot.output()
    assert "Gencove is the embedded sandbox at http://127.0.0.1:" in output
    assert not (tmp_path / "must-not-be-used.sqlite3").exists()  # a temporary database


def test_the_note_goes_last_once_and_a_full_message_stays_valid() -> None:
    text_only = labelled({"text": "Hi *there*"})
    assert [b["type"] for b in text_only["blocks"]] == ["section", "context"]
    assert text_only["blocks"][0]["text"]["text"] == "Hi *there*"
    assert text_only["blocks"][1]["elements"][0]["text"] == NOTE
    assert labelled(text_only) == text_only  # never twice
    full = {"text": "x", "blocks": [{"type": "divider"}] * 50}
    assert labelled(full) == full  # no room: Slack refuses a 51st block
    assert labelled({"text": ""}) == {"text": ""}
