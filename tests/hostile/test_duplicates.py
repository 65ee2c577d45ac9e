"""The duplicate guard through real bot processes: whatever the timing, one invitation per
address, even across replicas, and even for invitations the bot's store has never seen.

The Gencove sandbox makes a second pending invitation when asked (Gencove's spec does not
say it refuses one), so nothing here is saved by Gencove."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, deliver, slash_command_body
from tests.support.dbs import DATABASES, fresh_database
from tests.support.harness import ADMIN, SIGNING_SECRET, BotUnderTest, bot_environment
from tests.support.processes import start_bot_process, stop_bot_process

CREATE = "/api/v2/invitations/"
COMMANDS = 50


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", DATABASES)
async def test_fifty_identical_invites_at_once_on_two_replicas_make_one_invitation(
    kind: str, gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    assert not gencove.refuse_duplicates
    async with fresh_database(kind, tmp_path) as database:
        env = bot_environment(gencove, slack, database, GENCOVE_TIMEOUT="10")
        replicas = [
            await start_bot_process(env, tmp_path, "--no-watch"),
            await start_bot_process(env, tmp_path, "--no-watch"),
        ]
        try:
            started = time.monotonic()
            urls = [slack.new_response_url() for _ in range(COMMANDS)]
            async with aiohttp.ClientSession() as session:
                answers = await asyncio.gather(
                    *(
                        deliver(
                            session,
                            replicas[n % 2].url + "/slack/events",
                            slash_command_body(
                                "invite same@lab.org",
                                user_id=ADMIN,
                                response_url=urls[n],
                                trigger_id=slack.new_trigger_id(),
                            ),
                            SIGNING_SECRET,
                        )
                        for n in range(COMMANDS)
                    )
                )
            assert [a.status for a in answers] == [200] * COMMANDS

            # One command made the invitation and posts it; the other 49 made nothing new,
            # so each inviter is told privately and the channel hears nothing more.
            def told() -> int:
                return sum(
                    "already has a pending invitation" in json.dumps(slack.response_posts(url))
                    for url in urls
                )

            await slack.wait_for(
                lambda: told() == COMMANDS - 1 and len(slack.messages_in("C_GENERAL")) == 1,
                timeout=180,
            )
            took = time.monotonic() - started
        finally:
            for replica in replicas:
                await stop_bot_process(replica)
    [invitation] = gencove.find("same@lab.org")
    assert gencove.count("POST", CREATE) == 1
    [message] = slack.messages_in("C_GENERAL")
    assert str(invitation.id) in json.dumps(message.blocks)  # it shows the one invitation
    print(f"{COMMANDS} identical invites on {kind}, 2 replicas: 1 invitation in {took:.1f} s")


async def test_an_invitation_made_outside_slack_is_shown_not_made_again(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """Made in Gencove's web app a moment ago: the bot's store has never seen it."""
    outside = gencove.add_invitation("web@lab.org")
    async with fresh_database("sqlite", tmp_path) as database:
        bot = await start_bot_process(
            bot_environment(gencove, slack, database), tmp_path, "--no-watch"
        )
        try:
            async with aiohttp.ClientSession() as session:
                body = slash_command_body(
                    "invite web@lab.org fresh@lab.org",
                    user_id=ADMIN,
                    response_url=slack.new_response_url(),
                    trigger_id=slack.new_trigger_id(),
                )
                answer = await deliver(session, bot.url + "/slack/events", body, SIGNING_SECRET)
                assert answer.status == 200
            await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=30)
        finally:
            await stop_bot_process(bot)
    [message] = slack.messages_in("C_GENERAL")
    assert gencove.find("web@lab.org") == [outside]
    assert len(gencove.find("fresh@lab.org")) == 1
    assert str(outside.id) in json.dumps(message.blocks)
    assert gencove.count("POST", CREATE) == 1
    assert gencove.count("GET", CREATE) == 1  # one read of the pending list for the job


async def test_an_address_of_a_member_is_reported_as_already_a_member_not_invited(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    gencove.add_user("Max@Lab.org", name="Max", member=True)
    await bot.command("invite max@lab.org new@lab.org")
    [message] = await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    text = "\n".join(str(b.get("text", {}).get("text", "")) for b in message.blocks or [])
    assert "max@lab.org*: already a member of the organization, not invited." in text
    assert "invited 1 of 2 addresses (1 already a member)" in text
    assert [r.json.get("email") for r in gencove.requests if r.method == "POST"] == ["new@lab.org"]
