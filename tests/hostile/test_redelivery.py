"""Slack delivering the same signed request twice (its retry headers set): one effect."""

from __future__ import annotations

import asyncio
import json

import pytest

from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    INVITE_MODAL,
    ROLE_BLOCK,
    ROLE_INPUT,
)
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import (
    FakeSlack,
    block_action_body,
    slash_command_body,
    view_submission_body,
)
from tests.support.harness import ADMIN, BotUnderTest
from tests.support.messages import message_text

RETRY = {"retry_num": 1, "retry_reason": "http_timeout"}


@pytest.mark.parametrize("together", [False, True], ids=["one-after-the-other", "at-once"])
async def test_a_redelivered_invite_command_invites_and_posts_once(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, together: bool
) -> None:
    url = slack.new_response_url()
    body = slash_command_body(
        "invite ana@lab.org bob@lab.org",
        user_id=ADMIN,
        response_url=url,
        trigger_id=slack.new_trigger_id(),
    )
    if together:
        answers = await asyncio.gather(bot.send(body), bot.send(body, **RETRY))
    else:
        answers = [await bot.send(body), await bot.send(body, **RETRY)]
    assert [a.status for a in answers] == [200, 200]
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    await asyncio.sleep(0.3)
    assert gencove.count("POST", "/api/v2/invitations/") == 2
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert slack.response_posts(url) == []
    for email in ("ana@lab.org", "bob@lab.org"):
        assert len(gencove.find(email)) == 1


async def test_a_redelivered_list_command_answers_once(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    gencove.seed(total=5, pending=5)
    url = slack.new_response_url()
    body = slash_command_body("list", user_id=ADMIN, response_url=url)
    await bot.send(body)
    await bot.send(body, **RETRY)
    await slack.wait_for(lambda: slack.response_posts(url))
    await asyncio.sleep(0.3)
    assert len(slack.response_posts(url)) == 1
    assert gencove.count("GET", "/api/v2/invitations/") == 1


async def test_a_redelivered_revoke_click_revokes_and_updates_once(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite ana@lab.org")
    await bot.posted_results()
    message = slack.messages_in("C_GENERAL")[0]
    ana = gencove.find("ana@lab.org")[0]
    url = slack.new_response_url()
    body = block_action_body(
        REVOKE,
        value=str(ana.id),
        user_id=ADMIN,
        message=message,
        block_id=f"inv:{ana.id}",
        response_url=url,
        trigger_id=slack.new_trigger_id(),
    )
    answers = await asyncio.gather(bot.send(body), bot.send(body, **RETRY))
    assert [a.status for a in answers] == [200, 200]
    await slack.wait_for(lambda: slack.calls_to("chat.update"))
    await asyncio.sleep(0.3)
    assert gencove.count("DELETE", "/api/v2/invitations/") == 1
    assert len(slack.calls_to("chat.update")) == 1
    assert slack.response_posts(url) == []  # no "already revoked" note for a redelivery
    assert ana.status == "revoked"
    entries = await bot.store.read(lambda tx: tx.audit.entries(action="revoke"))
    assert len(entries) == 1


async def test_a_redelivered_modal_submission_invites_once(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    body = view_submission_body(
        INVITE_MODAL,
        {
            ADDRESSES_BLOCK: {ADDRESSES_INPUT: "ana@lab.org\nbob@lab.org"},
            ROLE_BLOCK: {
                ROLE_INPUT: {
                    "type": "static_select",
                    "selected_option": {
                        "text": {"type": "plain_text", "text": "member"},
                        "value": "member",
                    },
                }
            },
        },
        user_id=ADMIN,
        private_metadata=json.dumps({"channel_id": "C_MODAL"}),
    )
    answers = [await bot.send(body), await bot.send(body, **RETRY)]
    assert [a.status for a in answers] == [200, 200]
    await slack.wait_for(lambda: slack.messages_in("C_MODAL"))
    await asyncio.sleep(0.3)
    assert len(slack.messages_in("C_MODAL")) == 1
    assert gencove.count("POST", "/api/v2/invitations/") == 2
    text = message_text(slack.messages_in("C_MODAL")[0])
    assert "ana@lab.org" in text
    assert "bob@lab.org" in text
    assert not slack.ephemerals
