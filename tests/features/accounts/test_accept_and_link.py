"""Linking a personal Gencove key, `/gencove accept`, and acting as the linked user.

Everything is observed from outside: what Gencove received (paths, Authorization
headers), what Slack received (views, response_url posts), and the raw database row.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from invite_bot.features.accounts.blocks import (
    ACCEPT,
    API_KEY_BLOCK,
    API_KEY_INPUT,
    LINK_FROM_CARD,
    LINK_MODAL,
)
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove, FakeInvitation, FakeUser
from invite_bot.playground.slack import FakeSlack, OpenedView, block_action_body
from invite_bot.store import normalise_database_url
from invite_bot.store.store import open_runner
from tests.faults import Fault, GencoveFaults
from tests.support.blocks_text import block_text, blocks_text
from tests.support.dbs import DATABASES, fresh_database
from tests.support.harness import ADMIN, SECRET_KEY, BotUnderTest, running_bot, sqlite_url
from tests.support.waiting import responses

INVITEE = "U0INVITE1"
IVY_KEY = "gc-ivy-personal-key-7f3a9c2e41d8b6"


@pytest.fixture(autouse=True)
def _invitee(slack: FakeSlack) -> None:
    slack.add_user(INVITEE, name="ivy")


@pytest.fixture
def ivy(gencove: FakeGencove) -> FakeUser:
    """A Gencove user who is not (yet) in the organization."""
    return gencove.add_user("ivy@lab.org", name="Ivy Invitee", api_key=IVY_KEY)


# -- helpers -----------------------------------------------------------------------------


async def _open_link_modal(bot: BotUnderTest, user: str) -> OpenedView:
    before = set(bot.slack.views)
    await bot.command("link", user=user)
    new = await bot.slack.wait_for(
        lambda: [v for k, v in bot.slack.views.items() if k not in before]
    )
    view = new[-1]
    assert view.view["callback_id"] == LINK_MODAL
    return view


async def _submit_key(bot: BotUnderTest, view: OpenedView, key: str, user: str) -> str:
    """Submit the link modal; returns what the person ends up reading: the key field's
    error, the view the ack shows, or — the check outlasting the ack — the view after it."""
    shown = len(view.history)
    answer = await bot.submit(
        LINK_MODAL,
        {API_KEY_BLOCK: {API_KEY_INPUT: key}},
        user_id=user,
        view_id=view.id,
        private_metadata=view.view.get("private_metadata", ""),
    )
    assert answer.status == 200
    reply = answer.json()
    if reply["response_action"] == "errors":
        assert list(reply["errors"]) == [API_KEY_BLOCK]
        return str(reply["errors"][API_KEY_BLOCK])
    assert reply["response_action"] == "update"
    if "Checking" not in answer.text:
        return blocks_text(reply["view"]["blocks"])
    await bot.slack.wait_for(lambda: len(view.history) > shown)
    return blocks_text(view.view["blocks"])


async def _link(bot: BotUnderTest, key: str, user: str = INVITEE) -> str:
    view = await _open_link_modal(bot, user)
    return await _submit_key(bot, view, key, user)


async def _say(bot: BotUnderTest, command: str, user: str = INVITEE) -> dict[str, Any]:
    """Run a command whose answer arrives through the response_url; return that post."""
    _, url = await bot.command(command, user=user)
    return (await responses(bot.slack, url))[-1]


def _buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["action_id"]: e
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
    }


def _text(message: dict[str, Any]) -> str:
    """What the message shows: its blocks, and its text."""
    return blocks_text(message.get("blocks")) + "\n" + (message.get("text") or "")


async def _click_accept(bot: BotUnderTest, token: str, user: str = INVITEE) -> dict[str, Any]:
    _, url = await bot.click(ACCEPT, value=token, user_id=user, container="ephemeral")
    return (await responses(bot.slack, url))[-1]


async def _raw_links(database_url: str) -> list[dict[str, Any]]:
    runner = open_runner(normalise_database_url(database_url))
    try:
        result = await runner.read(
            lambda conn: conn.execute(text("SELECT * FROM linked_accounts")).mappings().all()
        )
        return [dict(row) for row in result]
    finally:
        await runner.close()


def _authorizations(gencove: FakeGencove, method: str, prefix: str) -> list[str | None]:
    return [
        r.authorization
        for r in gencove.requests
        if r.method == method and r.path.startswith(prefix)
    ]


# -- linking -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DATABASES)
async def test_link_checks_the_key_and_stores_it_encrypted_only(
    kind: str, gencove: FakeGencove, slack: FakeSlack, ivy: FakeUser, tmp_path: Path
) -> None:
    async with fresh_database(kind, tmp_path) as url, running_bot(gencove, slack, url) as bot:
        shown = await _link(bot, IVY_KEY)
        assert "linked" in shown
        assert f"Api-Key {IVY_KEY}" in _authorizations(gencove, "GET", "/api/v2/user/")

        rows = await _raw_links(url)
        assert len(rows) == 1
        row = rows[0]
        assert row["slack_user_id"] == INVITEE
        assert row["gencove_email"] == "ivy@lab.org"
        assert row["gencove_user_id"] == str(ivy.id)
        assert all(IVY_KEY not in str(value) for value in row.values())
        assert Fernet(SECRET_KEY.encode()).decrypt(row["ciphertext"].encode()).decode() == IVY_KEY

        [entry] = await bot.store.read(lambda tx: tx.audit.entries(action="link"))
        assert entry.actor_slack_id == INVITEE
        assert IVY_KEY not in json.dumps(entry.detail)

        whoami = await _say(bot, "whoami")
        assert "Ivy Invitee" in whoami["text"]
        assert "ivy@lab.org" in whoami["text"]
        assert whoami.get("response_type", "ephemeral") == "ephemeral"


async def test_a_key_gencove_refuses_is_not_stored(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, ivy: FakeUser, tmp_path: Path
) -> None:
    view = await _open_link_modal(bot, INVITEE)
    metadata = view.view["private_metadata"]
    # Gencove's refusal is Slack's red error on the key field: the form stays as typed.
    error = await _refused_on_the_field(bot, "gc-not-a-real-key-0000", view=view)
    assert error == "Gencove did not accept this API key. Copy it again from Gencove."
    assert view.view["callback_id"] == LINK_MODAL
    assert any(b.get("block_id") == API_KEY_BLOCK for b in view.view["blocks"])
    assert view.view["private_metadata"] == metadata
    assert gencove.count("GET", "/api/v2/user/") == 1
    assert await bot.store.read(lambda tx: tx.links.get(INVITEE)) is None
    assert await _raw_links(sqlite_url(tmp_path)) == []
    assert await bot.store.read(lambda tx: tx.audit.entries(action="link")) == []
    assert "No Gencove account is linked" in (await _say(bot, "whoami"))["text"]

    # the same modal, submitted again with the right key, links
    assert "linked" in await _submit_key(bot, view, IVY_KEY, INVITEE)
    assert (await bot.store.read(lambda tx: tx.links.get(INVITEE))) is not None


async def test_a_key_gencove_is_slow_to_check_is_shown_checking_then_linked(
    bot: BotUnderTest, gencove_faults: GencoveFaults, ivy: FakeUser
) -> None:
    # Slower than the ack may wait: the modal says it is checking, then shows the outcome.
    gencove_faults.inject("GET", "/api/v2/user/", Fault.hang(3.0))
    view = await _open_link_modal(bot, INVITEE)
    answer = await bot.submit(
        LINK_MODAL,
        {API_KEY_BLOCK: {API_KEY_INPUT: IVY_KEY}},
        user_id=INVITEE,
        view_id=view.id,
        private_metadata=view.view.get("private_metadata", ""),
    )
    assert answer.json()["response_action"] == "update"
    assert "Checking the key with Gencove" in answer.text
    await bot.slack.wait_for(lambda: "is linked" in blocks_text(view.view["blocks"]), timeout=60)
    assert await bot.store.read(lambda tx: tx.links.get(INVITEE)) is not None


async def _refused_on_the_field(
    bot: BotUnderTest, key: str, user: str = INVITEE, view: OpenedView | None = None
) -> str:
    """Submit a key the bot refuses: the answer is a field error."""
    view = view or await _open_link_modal(bot, user)
    answer = await bot.submit(
        LINK_MODAL,
        {API_KEY_BLOCK: {API_KEY_INPUT: key}},
        user_id=user,
        view_id=view.id,
        private_metadata=view.view.get("private_metadata", ""),
    )
    reply = answer.json()
    assert reply["response_action"] == "errors"
    assert list(reply["errors"]) == [API_KEY_BLOCK]
    if key.strip():
        assert key not in answer.text
    return str(reply["errors"][API_KEY_BLOCK])


@pytest.mark.parametrize(
    "key",
    ["my key is secret", "   ", "gc-ключ-1234567", "gc-\x00-1234567", "k" * 501],
    ids=["spaces", "blank", "non-ascii", "control", "too-long"],
)
async def test_something_that_is_not_a_key_is_refused_without_asking_gencove(
    key: str, bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    assert "does not look like a Gencove API key" in await _refused_on_the_field(bot, key)
    assert gencove.count("GET", "/api/v2/user/") == 0
    assert await bot.store.read(lambda tx: tx.links.get(INVITEE)) is None


async def test_the_organization_key_cannot_be_linked_as_a_personal_key(
    bot: BotUnderTest, gencove: FakeGencove
) -> None:
    error = await _refused_on_the_field(bot, f" {gencove.org_api_key} ", user=ADMIN)
    assert "organization's key" in error
    assert gencove.count("GET", "/api/v2/user/") == 0
    assert await bot.store.read(lambda tx: tx.links.get(ADMIN)) is None


async def test_gencove_failing_while_checking_the_key_says_so(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, ivy: FakeUser
) -> None:
    gencove_faults.inject("GET", "/api/v2/user/", *[Fault.status(500)] * 5)
    shown = await _link(bot, IVY_KEY)
    assert "Could not check the key with Gencove" in shown
    assert await bot.store.read(lambda tx: tx.links.get(INVITEE)) is None


async def test_unlink_deletes_the_key_and_is_audited(
    bot: BotUnderTest, ivy: FakeUser, tmp_path: Path
) -> None:
    await _link(bot, IVY_KEY)
    reply = await _say(bot, "unlink")
    assert "unlinked" in reply["text"]
    assert await _raw_links(sqlite_url(tmp_path)) == []
    [entry] = await bot.store.read(lambda tx: tx.audit.entries(action="unlink"))
    assert entry.actor_slack_id == INVITEE
    assert "No Gencove account is linked" in (await _say(bot, "whoami"))["text"]
    again = await _say(bot, "unlink")
    assert "had no Gencove account linked" in again["text"]
    assert len(await bot.store.read(lambda tx: tx.audit.entries(action="unlink"))) == 1


async def test_key_rotation_keeps_old_links_readable(
    gencove: FakeGencove, slack: FakeSlack, ivy: FakeUser, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    async with running_bot(gencove, slack, url, INVITE_BOT_SECRET_KEY=key_a) as bot:
        assert "linked" in await _link(bot, IVY_KEY)
    [row] = await _raw_links(url)
    assert Fernet(key_a.encode()).decrypt(row["ciphertext"].encode()).decode() == IVY_KEY

    async with running_bot(gencove, slack, url, INVITE_BOT_SECRET_KEY=f"{key_b},{key_a}") as bot:
        assert "Ivy Invitee" in (await _say(bot, "whoami"))["text"]
    # reading it re-encrypted it under the newest key, so key A can now be retired
    [row] = await _raw_links(url)
    assert Fernet(key_b.encode()).decrypt(row["ciphertext"].encode()).decode() == IVY_KEY
    async with running_bot(gencove, slack, url, INVITE_BOT_SECRET_KEY=key_b) as bot:
        assert "Ivy Invitee" in (await _say(bot, "whoami"))["text"]
        # a new link is written under the newest key too
        assert "linked" in await _link(bot, IVY_KEY)
    [row] = await _raw_links(url)
    assert Fernet(key_b.encode()).decrypt(row["ciphertext"].encode()).decode() == IVY_KEY

    # without the key it was written with, the bot says so instead of failing
    key_c = Fernet.generate_key().decode()
    async with running_bot(gencove, slack, url, INVITE_BOT_SECRET_KEY=key_c) as bot:
        assert "can no longer be read" in (await _say(bot, "whoami"))["text"]


async def test_without_a_secret_key_linking_is_off(
    gencove: FakeGencove, slack: FakeSlack, ivy: FakeUser, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_BOT_SECRET_KEY="") as bot:
        reply = await _say(bot, "link")
        # The invitee reads people's words; the setting's name is for whoever runs the bot.
        assert "not turned on" in reply["text"]
        assert "INVITE_BOT_SECRET_KEY" not in reply["text"]
        assert not slack.calls_to("views.open")
        invitation = gencove.add_invitation("ivy@lab.org")
        card = await _say(bot, f"accept {invitation.token}")
        _, url = await bot.click(
            LINK_FROM_CARD, value=invitation.token, user_id=INVITEE, container="ephemeral"
        )
        from_card = (await responses(slack, url))[-1]["text"]
        assert "not turned on" in from_card
        assert "INVITE_BOT_SECRET_KEY" not in from_card
        assert LINK_FROM_CARD in _buttons(card)
        assert "not turned on" in (await _say(bot, "whoami"))["text"]


# -- accepting ---------------------------------------------------------------------------


async def test_accept_happy_path_uses_the_invitees_own_key(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, ivy: FakeUser
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org", role="viewer")
    await _link(bot, IVY_KEY)
    card = await _say(bot, f"accept {invitation.token}")
    assert card.get("response_type", "ephemeral") == "ephemeral"
    shown = block_text(card["blocks"], "card")
    assert gencove.organization.name in shown
    assert "viewer" in shown
    assert "pending" in shown
    assert "Expires" in shown
    buttons = _buttons(card)
    assert list(buttons) == [ACCEPT]
    assert buttons[ACCEPT]["value"] == invitation.token
    assert gencove.count("PATCH") == 0  # showing the card accepts nothing

    outcome = await _click_accept(bot, invitation.token)
    assert outcome["replace_original"] is True
    assert "You joined" in outcome["text"]
    assert gencove.organization.name in outcome["text"]
    assert not _buttons(outcome)
    assert invitation.status == "accepted"
    assert invitation.last_status.actor_id == ivy.id
    assert ivy.member
    patches = _authorizations(gencove, "PATCH", "/api/v2/invitations-token/")
    assert patches == [f"Api-Key {IVY_KEY}"]
    assert all(gencove.org_api_key not in (a or "") for a in patches)
    [entry] = await bot.store.read(lambda tx: tx.audit.entries(action="accept"))
    assert entry.actor_slack_id == INVITEE


async def test_accept_without_a_link_offers_linking_and_comes_back_to_the_card(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, ivy: FakeUser
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org")
    card = await _say(bot, f"accept {invitation.token}")
    assert gencove.organization.name in block_text(card["blocks"], "card")
    assert list(_buttons(card)) == [LINK_FROM_CARD]
    assert "link your Gencove account" in _text(card)

    _, card_url = await bot.click(
        LINK_FROM_CARD, value=invitation.token, user_id=INVITEE, container="ephemeral"
    )
    view = (await slack.wait_for(lambda: list(slack.views.values())))[-1]
    assert view.view["callback_id"] == LINK_MODAL
    assert card_url in view.view["private_metadata"]  # where the card will come back

    assert "linked" in await _submit_key(bot, view, IVY_KEY, INVITEE)
    [back] = await responses(slack, card_url)
    assert back["replace_original"] is True
    assert gencove.organization.name in block_text(back["blocks"], "card")
    assert _buttons(back)[ACCEPT]["value"] == invitation.token
    assert invitation.status == "pending"  # linking alone accepts nothing

    outcome = await _click_accept(bot, invitation.token)
    assert "You joined" in outcome["text"]
    assert invitation.status == "accepted"


async def test_a_retried_link_account_click_opens_one_modal_and_says_nothing_more(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org")
    card_url = slack.new_response_url()
    body = block_action_body(
        LINK_FROM_CARD,
        value=invitation.token,
        user_id=INVITEE,
        container="ephemeral",
        response_url=card_url,
        trigger_id=slack.new_trigger_id(),
    )
    first = await bot.send(body)
    retry = await bot.send(body, retry_num=1, retry_reason="http_timeout")
    assert (first.status, retry.status) == (200, 200)
    await slack.wait_for(lambda: slack.calls_to("views.open"))
    await asyncio.sleep(0.2)
    assert len(slack.calls_to("views.open")) == 1
    assert slack.response_posts(card_url) == []


async def test_clicking_accept_after_unlinking_brings_back_the_link_button(
    bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org")
    await _link(bot, IVY_KEY)
    await _say(bot, "unlink")
    outcome = await _click_accept(bot, invitation.token)
    assert list(_buttons(outcome)) == [LINK_FROM_CARD]
    assert gencove.count("PATCH") == 0
    assert invitation.status == "pending"


STATUS_MESSAGES = {
    "expired": "has expired",
    "revoked": "was revoked",
    "accepted": "already been accepted",
}


def _make(gencove: FakeGencove, status: str) -> FakeInvitation:
    invitation = gencove.add_invitation("ivy@lab.org")
    if status == "expired":
        gencove.expire(invitation)
    elif status == "revoked":
        gencove.revoke(invitation)
    elif status == "accepted":
        gencove.accept(invitation)
    return invitation


@pytest.mark.parametrize("status", list(STATUS_MESSAGES))
async def test_card_of_an_invitation_that_is_no_longer_pending_says_why(
    status: str, bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    await _link(bot, IVY_KEY)
    invitation = _make(gencove, status)
    card = await _say(bot, f"accept {invitation.token}")
    assert STATUS_MESSAGES[status] in _text(card)
    assert not _buttons(card)
    assert gencove.count("PATCH") == 0


@pytest.mark.parametrize("status", list(STATUS_MESSAGES))
async def test_accept_clicked_after_the_invitation_changed_says_why(
    status: str, bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    await _link(bot, IVY_KEY)
    invitation = gencove.add_invitation("ivy@lab.org")
    card = await _say(bot, f"accept {invitation.token}")
    assert ACCEPT in _buttons(card)
    if status == "expired":
        gencove.expire(invitation)
    elif status == "revoked":
        gencove.revoke(invitation)
    else:  # by someone else, e.g. a colleague who was handed the link
        gencove.accept(invitation, user=gencove.add_user("colleague@lab.org"))
    outcome = await _click_accept(bot, invitation.token)
    assert outcome["replace_original"] is True
    assert STATUS_MESSAGES[status] in _text(outcome)
    assert not _buttons(outcome)
    assert invitation.status == status
    assert await bot.store.read(lambda tx: tx.audit.entries(action="accept")) == []


async def test_accept_clicked_after_joining_elsewhere_says_joined(
    bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    await _link(bot, IVY_KEY)
    invitation = gencove.add_invitation("ivy@lab.org")
    gencove.accept(invitation, user=ivy)  # in Gencove's web app
    outcome = await _click_accept(bot, invitation.token)
    assert "You joined" in outcome["text"]
    assert gencove.count("PATCH") == 0


async def test_a_token_meant_for_someone_else_is_refused_clearly(
    bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    await _link(bot, IVY_KEY)
    invitation = gencove.add_invitation("someone.else@lab.org")
    outcome = await _click_accept(bot, invitation.token)
    text = _text(outcome)
    assert "another e-mail address" in text
    assert "ivy@lab.org" in text
    assert invitation.status == "pending"
    assert _authorizations(gencove, "PATCH", "/api/v2/invitations-token/") == [f"Api-Key {IVY_KEY}"]
    assert await bot.store.read(lambda tx: tx.audit.entries(action="accept")) == []


async def test_a_double_click_on_accept_sends_one_patch_and_both_say_joined(
    bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org")
    await _link(bot, IVY_KEY)
    gencove.hold = asyncio.Event()  # Gencove answers nothing until both clicks are in
    clicks = [asyncio.create_task(_click_accept(bot, invitation.token)) for _ in range(2)]
    await bot.slack.wait_for(lambda: gencove.count("GET", "/api/v2/invitations-token/"))
    await asyncio.sleep(0.3)
    gencove.hold.set()
    gencove.hold = None
    outcomes = await asyncio.gather(*clicks)
    assert all("You joined" in o["text"] for o in outcomes)
    assert gencove.count("PATCH", "/api/v2/invitations-token/") == 1
    assert len(await bot.store.read(lambda tx: tx.audit.entries(action="accept"))) == 1


async def test_gencove_refusing_a_pending_invitation_shows_its_reason(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, ivy: FakeUser
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org")
    await _link(bot, IVY_KEY)
    refusal = Fault.status(400, {"detail": "You are <already> a member & more."})
    gencove_faults.inject("PATCH", "/api/v2/invitations-token/", refusal)
    outcome = await _click_accept(bot, invitation.token)
    text = _text(outcome)
    assert "You are &lt;already&gt; a member &amp; more." in text
    assert ACCEPT in _buttons(outcome)  # still pending: it can be tried again
    assert invitation.status == "pending"


async def test_the_card_coming_back_after_linking_survives_a_gencove_failure(
    bot: BotUnderTest,
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    slack: FakeSlack,
    ivy: FakeUser,
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org")
    await _say(bot, f"accept {invitation.token}")
    _, card_url = await bot.click(
        LINK_FROM_CARD, value=invitation.token, user_id=INVITEE, container="ephemeral"
    )
    view = (await slack.wait_for(lambda: list(slack.views.values())))[-1]
    gencove_faults.inject(
        "GET", "/api/v2/invitations-token/", Fault.status(500, {"detail": "Boom."})
    )
    assert "linked" in await _submit_key(bot, view, IVY_KEY, INVITEE)
    [back] = await responses(slack, card_url)
    assert "Boom." in back["text"]
    assert "/gencove accept" in back["text"]
    assert await bot.store.read(lambda tx: tx.links.get(INVITEE)) is not None


async def test_an_unknown_token_is_named_as_such(
    bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    card = await _say(bot, "accept NoSuchToken1234567890")
    assert "knows no invitation with that token" in card["text"]
    await _link(bot, IVY_KEY)
    outcome = await _click_accept(bot, "NoSuchToken1234567890")
    assert "knows no invitation with that token" in outcome["text"]
    assert gencove.count("PATCH") == 0


async def test_something_that_is_no_token_is_refused_without_asking_gencove(
    bot: BotUnderTest, gencove: FakeGencove
) -> None:
    answer, _ = await bot.command("accept https://app.gencove.com/", user=INVITEE)
    assert answer.json()["response_type"] == "ephemeral"
    assert "not an invitation token or link" in answer.json()["text"]
    assert gencove.count("*", "/api/v2/invitations-token/") == 0


async def test_a_linked_key_gencove_no_longer_accepts_is_explained(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, ivy: FakeUser
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org")
    await _link(bot, IVY_KEY)
    refused = Fault.status(401, {"detail": "Invalid API key."})
    gencove_faults.inject("GET", "/api/v2/invitations-token/", refused)
    card = await _say(bot, f"accept {invitation.token}")
    assert "no longer accepts your linked API key" in _text(card)
    assert list(_buttons(card)) == [LINK_FROM_CARD]  # a way out: link a current key
    gencove_faults.inject("GET", "/api/v2/invitations-token/", refused)
    outcome = await _click_accept(bot, invitation.token)
    assert "no longer accepts your linked API key" in _text(outcome)
    assert invitation.status == "pending"


URL_FORMS = {
    "bare": "{token}",
    "path": "https://app.gencove.com/invite/{token}",
    "path-trailing-slash": "https://app.gencove.com/invitations/{token}/",
    "query": "https://app.gencove.com/accept-invitation?token={token}",
    "query-among-others": "https://app.gencove.com/accept?utm_source=email&amp;token={token}",
    "slack-wrapped": "<https://app.gencove.com/invite/{token}>",
    "slack-wrapped-labelled": "<https://app.gencove.com/invite/{token}|app.gencove.com/invite/…>",
    "slack-wrapped-query": "<https://app.gencove.com/accept?token={token}&amp;x=1|Accept>",
}


@pytest.mark.parametrize("form", list(URL_FORMS.values()), ids=list(URL_FORMS))
async def test_every_link_form_finds_the_token(
    form: str, bot: BotUnderTest, gencove: FakeGencove, ivy: FakeUser
) -> None:
    invitation = gencove.add_invitation("ivy@lab.org")
    await _link(bot, IVY_KEY)
    card = await _say(bot, "accept " + form.format(token=invitation.token))
    assert [
        r.path for r in gencove.requests if r.path.startswith("/api/v2/invitations-token/")
    ] == [f"/api/v2/invitations-token/{invitation.token}"]
    assert _buttons(card)[ACCEPT]["value"] == invitation.token


# -- acting as the linked user elsewhere -------------------------------------------------


async def test_invite_and_revoke_by_a_linked_user_are_sent_with_their_key(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    ana = gencove.add_user("ana@lab.org", name="Ana Admin", api_key="gc-ana-key-31c9d0", admin=True)
    await _link(bot, ana.api_key, user=ADMIN)
    await bot.command("invite bob@lab.org carl@lab.org")
    await bot.posted_results()
    assert (
        _authorizations(gencove, "POST", "/api/v2/invitations/") == [f"Api-Key {ana.api_key}"] * 2
    )

    message = slack.last_message("C_GENERAL")
    bob = gencove.find("bob@lab.org")[0]
    _, _ = await bot.click(REVOKE, value=str(bob.id), message=message, block_id=f"inv:{bob.id}")
    await slack.wait_for(lambda: slack.calls_to("chat.update"))
    assert _authorizations(gencove, "DELETE", "/api/v2/invitations/") == [f"Api-Key {ana.api_key}"]
    assert bob.status == "revoked"
    assert bob.last_status.actor_id == ana.id  # Gencove records the real actor

    await _say(bot, "revoke carl@lab.org", user=ADMIN)
    carl = gencove.find("carl@lab.org")[0]
    assert carl.status == "revoked"
    assert carl.last_status.actor_id == ana.id
    deletes = _authorizations(gencove, "DELETE", "/api/v2/invitations/")
    assert deletes == [f"Api-Key {ana.api_key}"] * 2


async def test_revoke_by_an_unlinked_inviter_uses_the_organization_key(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    invitation = gencove.add_invitation("bob@lab.org")
    await _say(bot, "revoke bob@lab.org", user=ADMIN)
    assert invitation.status == "revoked"
    assert _authorizations(gencove, "DELETE", "/api/v2/invitations/") == [
        f"Api-Key {gencove.org_api_key}"
    ]


async def test_a_linked_user_gencove_forbids_falls_back_to_the_organization_key(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    mo = gencove.add_user("mo@lab.org", name="Mo Member", api_key="gc-mo-key-77a1c2")
    await _link(bot, mo.api_key, user=ADMIN)
    await bot.command("invite bob@lab.org")
    await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    assert _authorizations(gencove, "POST", "/api/v2/invitations/") == [
        f"Api-Key {mo.api_key}",
        f"Api-Key {gencove.org_api_key}",
    ]
    bob = gencove.find("bob@lab.org")[0]
    assert "invited" in block_text(slack.last_message("C_GENERAL").blocks, f"inv:{bob.id}")
    await _say(bot, "revoke bob@lab.org", user=ADMIN)
    assert bob.status == "revoked"
    entries = await bot.store.read(lambda tx: tx.audit.entries(action="revoke"))
    assert entries[0].detail["as"] == "organization key"


# -- the key never leaks -----------------------------------------------------------------


async def test_the_key_is_never_logged_nor_sent_to_slack(
    bot: BotUnderTest,
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    slack: FakeSlack,
    ivy: FakeUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bad_key = "gc-wrong-but-secret-9d81f2"
    invitation = gencove.add_invitation("ivy@lab.org")
    foreign = gencove.add_invitation("other@lab.org")

    await _link(bot, bad_key)  # refused
    card = await _say(bot, f"accept {invitation.token}")
    opened = len(slack.views)
    _, card_url = await bot.click(
        LINK_FROM_CARD, value=invitation.token, user_id=INVITEE, container="ephemeral"
    )
    # the modal this click opened, not the one the refused link left behind
    view = (await slack.wait_for(lambda: list(slack.views.values())[opened:]))[-1]
    await _submit_key(bot, view, IVY_KEY, INVITEE)
    await responses(slack, card_url)
    await _say(bot, "whoami")
    await _click_accept(bot, foreign.token)
    await _click_accept(bot, invitation.token)
    gencove_faults.inject("GET", "/api/v2/user/", Fault.status(401, {"detail": "Invalid API key."}))
    await _say(bot, "whoami")
    await _say(bot, "unlink")
    assert invitation.status == "accepted"
    assert ACCEPT not in _buttons(card)

    logged = caplog.text + "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    sent = slack.all_text()
    for secret in (IVY_KEY, bad_key, SECRET_KEY):
        assert secret not in logged
        assert secret not in sent
    assert caplog.records  # the flow did log: the check above is not vacuous
