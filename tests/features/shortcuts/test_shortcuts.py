"""The shortcuts "Invite to Gencove" end to end: the local Slack sends the shortcut as
Slack does, the real bot opens the invite form (the request form for a member), and the
form's submission takes the invite (or request) path it always takes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from invite_bot.features.invite.modals import ADDRESSES_BLOCK, ADDRESSES_INPUT, INVITE_MODAL
from invite_bot.features.requests.blocks import ASK_MODAL
from invite_bot.features.shortcuts.blocks import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import (
    FakeSlack,
    global_shortcut_body,
    message_shortcut_body,
)
from tests.support.harness import ADMIN, OUTSIDER, BotUnderTest, running_bot, sqlite_url

APPROVALS = "C0APPROVE"
AUTHOR = "U0AUTHOR1"


@pytest.fixture
async def bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    slack.add_user(AUTHOR, name="carla", email="carla@lab.org")
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as under_test:
        yield under_test


async def _opened(slack: FakeSlack) -> dict[str, Any]:
    await slack.wait_for(lambda: slack.calls_to("views.open"))
    view: dict[str, Any] = slack.calls_to("views.open")[-1].args["view"]
    return view


def _address_field(view: Mapping[str, Any]) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b.get("block_id") == ADDRESSES_BLOCK)
    element: dict[str, Any] = block["element"]
    return element


def _notes(view: Mapping[str, Any]) -> str:
    return json.dumps([b for b in view["blocks"] if b.get("type") == "context"])


async def _message_shortcut(bot: BotUnderTest, text: str, *, user: str = ADMIN) -> None:
    message = {"user": AUTHOR, "ts": "1700000000.000200", "text": text}
    body = message_shortcut_body(
        MESSAGE_SHORTCUT,
        message,
        user_id=user,
        channel_id="C_GENERAL",
        response_url=bot.slack.new_response_url(),
        trigger_id=bot.slack.new_trigger_id(),
    )
    answer = await bot.send(body)
    assert answer.status == 200


@pytest.mark.parametrize(("user", "callback"), [(ADMIN, INVITE_MODAL), (OUTSIDER, ASK_MODAL)])
async def test_the_global_shortcut_opens_the_invite_form_or_the_request_form(
    bot: BotUnderTest, slack: FakeSlack, user: str, callback: str
) -> None:
    body = global_shortcut_body(GLOBAL_SHORTCUT, user_id=user, trigger_id=slack.new_trigger_id())
    answer = await bot.send(body)
    assert answer.status == 200
    view = await _opened(slack)
    assert view["callback_id"] == callback
    assert "initial_value" not in _address_field(view)


async def test_the_message_shortcut_fills_in_the_message_s_addresses_and_invites_them(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    text = (
        "Please add <mailto:ana@lab.org|ana@lab.org> and Bob@Lab.org, "
        "and ana@lab.org again, thanks <@U0SOMEONE>"
    )
    await _message_shortcut(bot, text)
    view = await _opened(slack)
    assert view["callback_id"] == INVITE_MODAL
    prefilled = _address_field(view)["initial_value"]
    assert prefilled.split("\n") == ["ana@lab.org", "bob@lab.org"]
    assert "2 addresses found in the message" in _notes(view)
    # Sent as filled in: the form's own path invites them, in the channel it came from.
    await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: prefilled}},
        private_metadata=view["private_metadata"],
    )
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    assert len(gencove.find("ana@lab.org")) == 1
    assert len(gencove.find("bob@lab.org")) == 1


async def test_a_misleading_link_in_the_message_is_refused_by_the_form_not_swapped(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await _message_shortcut(bot, "invite <mailto:evil@x.org|ana@lab.org>")
    view = await _opened(slack)
    prefilled = _address_field(view)["initial_value"]
    assert prefilled == "<mailto:evil@x.org|ana@lab.org>"
    refused = await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: prefilled}},
        private_metadata=view["private_metadata"],
    )
    assert refused.json()["response_action"] == "errors"
    assert gencove.count("POST", "/api/v2/invitations/") == 0


async def test_a_message_without_addresses_offers_its_author_s_profile_address_to_confirm(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await _message_shortcut(bot, "Could Carla get access to the project?")
    view = await _opened(slack)
    assert _address_field(view)["initial_value"] == "carla@lab.org"
    assert f"<@{AUTHOR}>'s address from their Slack profile" in _notes(view)
    assert slack.calls_to("users.info")
    # Nothing is invited until the person sends the form: that is the confirmation.
    assert gencove.count("POST", "/api/v2/invitations/") == 0
    await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "carla@lab.org"}},
        private_metadata=view["private_metadata"],
    )
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    assert len(gencove.find("carla@lab.org")) == 1


async def test_a_member_s_message_shortcut_opens_the_request_form_prefilled(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await _message_shortcut(bot, "dana@lab.org please", user=OUTSIDER)
    view = await _opened(slack)
    assert view["callback_id"] == ASK_MODAL
    assert _address_field(view)["initial_value"] == "dana@lab.org"
    await bot.submit(
        ASK_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "dana@lab.org"}},
        user_id=OUTSIDER,
        private_metadata=view["private_metadata"],
    )
    await slack.wait_for(lambda: slack.messages_in(APPROVALS))
    assert gencove.count("POST", "/api/v2/invitations/") == 0


async def test_an_author_without_a_profile_address_gets_an_empty_form_saying_so(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    slack.users[AUTHOR]["profile"].pop("email")
    await _message_shortcut(bot, "no address here")
    view = await _opened(slack)
    assert "initial_value" not in _address_field(view)
    assert "profile shows none" in _notes(view)
