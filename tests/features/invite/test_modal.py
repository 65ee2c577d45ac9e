"""The invite modal: opened with the roles, a bad address shown on its field, a typed role
that is not a role named."""

from __future__ import annotations

import json

from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    INVITE_MODAL,
    ROLE_BLOCK,
)
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.harness import BotUnderTest


async def test_invite_without_address_opens_a_modal_with_roles(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite")
    await slack.wait_for(lambda: slack.calls_to("views.update") or slack.calls_to("views.open"))
    await slack.wait_for(lambda: slack.calls_to("views.update"))
    view = slack.calls_to("views.update")[-1].args["view"]
    role_block = next(b for b in view["blocks"] if b.get("block_id") == ROLE_BLOCK)
    names = [o["value"] for o in role_block["element"]["options"]]
    assert "member" in names


async def test_modal_shows_a_bad_address_on_the_field_and_invites_good_ones(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    bad = await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "ana@lab.org\nnope"}},
        private_metadata=json.dumps({"channel_id": "C_GENERAL"}),
    )
    reply = bad.json()
    assert reply["response_action"] == "errors"
    assert "nope" in reply["errors"][ADDRESSES_BLOCK]
    assert gencove.count("*", "/api/v2/invitations") == 0
    good = await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "ana@lab.org\nbob@lab.org"}},
        private_metadata=json.dumps({"channel_id": "C_GENERAL"}),
    )
    assert good.status == 200
    await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    assert gencove.count("POST", "/api/v2/invitations/") == 2


async def test_invite_modal_says_when_a_typed_role_is_not_a_role(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    _, url = await bot.command("invite --role wizard")
    await slack.wait_for(lambda: slack.response_posts(url))
    note = slack.response_posts(url)[0]["text"]
    assert "`wizard` is not one of the organization's roles" in note
    assert "member" in note
    assert slack.calls_to("views.open")
