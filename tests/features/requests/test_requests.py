"""Invite requests end to end: a member asks, an inviter approves or denies with a button.

The real bot (Bolt app, web app, store, watcher) answers signed requests over loopback;
Slack and Gencove are the stand-ins. Each test waits for outcomes, never for time.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from invite_bot.features.invite.modals import ADDRESSES_BLOCK, ADDRESSES_INPUT
from invite_bot.features.requests.blocks import (
    APPROVE,
    ASK_MODAL,
    DENY,
    DENY_MODAL,
    DENY_REASON_BLOCK,
    DENY_REASON_INPUT,
    WHY_BLOCK,
    WHY_INPUT,
    WITHDRAW,
)
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, Message
from invite_bot.store import InviteRequest
from tests.support.blocks_text import block_text
from tests.support.harness import ADMIN, OUTSIDER, BotUnderTest, running_bot, sqlite_url

APPROVALS = "C0APPROVE"
SECOND = "U0SECOND1"  # another inviter
OUTSIDER_DM = "D" + OUTSIDER[1:]


@pytest.fixture
async def bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    slack.add_user(SECOND, name="sam")
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "INVITE_ADMINS": f"{ADMIN},{SECOND}"}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as under_test:
        yield under_test


def _buttons(message: Message) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
    }


async def _ask(bot: BotUnderTest, text: str, *, user: str = OUTSIDER) -> tuple[Message, str]:
    """The member types `/gencove invite …`; returns the request message and the note."""
    before = len(bot.slack.messages_in(APPROVALS))
    _, url = await bot.command(text, user=user)
    await bot.slack.wait_for(lambda: bot.slack.response_posts(url))
    await bot.slack.wait_for(lambda: len(bot.slack.messages_in(APPROVALS)) > before)
    message = max(bot.slack.messages_in(APPROVALS), key=lambda m: float(m.ts))
    # The bot records where it posted just after Slack answers.
    await _until(lambda: _request_of(bot, message))
    # As first posted: a later click comes from a stale copy of it, as from a client.
    return copy.deepcopy(message), str(bot.slack.response_posts(url)[0]["text"])


async def _request_of(bot: BotUnderTest, message: Message) -> InviteRequest | None:
    for request in await bot.store.read(lambda tx: tx.requests.open_requests(limit=100)):
        if any(m.message_ts == message.ts for m in request.messages):
            return request
    return None


async def _until(check: Any, timeout: float = 15.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.02)


def _shown(slack: FakeSlack, message: Message) -> Message:
    return slack.messages[(message.channel, message.ts)]


def _status(slack: FakeSlack, message: Message) -> str:
    """What the request message now says of its outcome ("" while it is open)."""
    for block in _shown(slack, message).blocks or []:
        if block.get("block_id") == "request_status":
            return block_text([block], "request_status")
    return ""


async def _dm_to(slack: FakeSlack, user_dm: str, count: int = 1) -> list[Message]:
    await slack.wait_for(lambda: len(slack.messages_in(user_dm)) >= count)
    return slack.messages_in(user_dm)


async def test_a_member_asks_and_the_request_has_approve_and_deny(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, note = await _ask(bot, "invite bob@partner.org --role member")
    assert "Asked the inviters to invite" in note
    assert "bob@partner.org" in note
    summary = block_text(message.blocks, "request")
    assert f"<@{OUTSIDER}>" in summary
    assert "bob@partner.org" in summary
    assert "member" in summary
    buttons = _buttons(message)
    assert buttons[APPROVE]["style"] == "primary"
    assert buttons[DENY]["style"] == "danger"
    assert gencove.count("POST", "/api/v2/invitations/") == 0
    asked = await bot.store.read(lambda tx: tx.audit.entries(action="request_asked"))
    assert [entry.actor_slack_id for entry in asked] == [OUTSIDER]


async def test_approve_invites_each_address_once_and_dms_the_member(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, _ = await _ask(bot, "invite bob@partner.org cat@partner.org")
    answer, _ = await bot.click(APPROVE, message=message)
    assert answer.status == 200
    [dm] = await _dm_to(slack, OUTSIDER_DM)
    assert f"approved by <@{ADMIN}>" in (dm.text or "")
    for email in ("bob@partner.org", "cat@partner.org"):
        [invitation] = gencove.find(email)
        assert invitation.status == "pending"
        assert email in (dm.text or "")
    assert gencove.count("POST", "/api/v2/invitations/") == 2
    shown = _shown(slack, message)
    assert f"Approved* by <@{ADMIN}>" in block_text(shown.blocks, "request_status")
    bob = gencove.find("bob@partner.org")[0]
    assert "bob@partner.org" in block_text(shown.blocks, f"inv:{bob.id}")
    assert APPROVE not in json.dumps(shown.blocks)
    assert json.dumps(shown.blocks).count(REVOKE) == 2
    # A second click (or a stale button) decides nothing again and says who did.
    _, url = await bot.click(APPROVE, message=message, user_id=SECOND)
    await slack.wait_for(lambda: slack.response_posts(url))
    assert f"already approved by <@{ADMIN}>" in slack.response_posts(url)[0]["text"]
    assert gencove.count("POST", "/api/v2/invitations/") == 2
    assert len(slack.messages_in(OUTSIDER_DM)) == 1
    approved = await bot.store.read(lambda tx: tx.audit.entries(action="request_approved"))
    assert [e.actor_slack_id for e in approved] == [ADMIN]


async def test_revoke_on_an_approved_request_keeps_the_request_on_the_message(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, _ = await _ask(bot, "invite bob@partner.org")
    await bot.click(APPROVE, message=message)
    await _dm_to(slack, OUTSIDER_DM)
    bob = gencove.find("bob@partner.org")[0]
    shown = _shown(slack, message)
    await bot.click(REVOKE, value=str(bob.id), message=shown, block_id=f"inv:{bob.id}")
    await _until(lambda: "revoked" in block_text(_shown(slack, message).blocks, f"inv:{bob.id}"))
    after = _shown(slack, message)
    assert f"<@{OUTSIDER}>" in block_text(after.blocks, "request")
    assert "Approved" in block_text(after.blocks, "request_status")
    assert bob.status == "revoked"


async def test_deny_asks_for_a_reason_and_tells_the_member(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, _ = await _ask(bot, "invite bob@partner.org")
    await bot.click(DENY, message=message, trigger_id=slack.new_trigger_id())
    opened = await slack.wait_for(lambda: list(slack.views.values()))
    view = opened[0].view
    assert view["callback_id"] == DENY_MODAL
    [reason] = [b for b in view["blocks"] if b.get("block_id") == DENY_REASON_BLOCK]
    # Slack writes "(optional)" after an optional field's label itself: said once.
    assert reason["optional"] is True
    assert "optional" not in reason["label"]["text"].lower()
    assert reason["hint"]["text"] == "The member who asked reads it."
    answer = await bot.submit(
        DENY_MODAL,
        {DENY_REASON_BLOCK: {DENY_REASON_INPUT: "Partners join through their PI"}},
        view=view,
    )
    assert answer.status == 200
    [dm] = await _dm_to(slack, OUTSIDER_DM)
    assert f"denied by <@{ADMIN}>: Partners join through their PI" in (dm.text or "")
    status = block_text(_shown(slack, message).blocks, "request_status")
    assert f"Denied* by <@{ADMIN}>: Partners join through their PI" in status
    assert APPROVE not in json.dumps(_shown(slack, message).blocks)
    assert gencove.count("POST", "/api/v2/invitations/") == 0
    # Approve after the denial: nothing invited, the clicker told who decided.
    _, url = await bot.click(APPROVE, message=message, user_id=SECOND)
    await slack.wait_for(lambda: slack.response_posts(url))
    assert f"already denied by <@{ADMIN}>" in slack.response_posts(url)[0]["text"]
    assert gencove.count("POST", "/api/v2/invitations/") == 0


async def test_a_non_inviters_forged_approve_click_is_refused(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, _ = await _ask(bot, "invite bob@partner.org")
    _, url = await bot.click(APPROVE, message=message, user_id=OUTSIDER)
    await slack.wait_for(lambda: slack.response_posts(url))
    assert "Only the people who manage Gencove invitations" in slack.response_posts(url)[0]["text"]
    request = await _request_of(bot, message)
    assert request is not None
    assert request.status == "open"
    assert gencove.count("POST", "/api/v2/invitations/") == 0
    assert APPROVE in json.dumps(_shown(slack, message).blocks)


async def test_two_approvers_and_a_denial_at_once_make_one_decision(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, _ = await _ask(bot, "invite bob@partner.org")
    await bot.click(DENY, message=message, user_id=SECOND)
    [opened] = await slack.wait_for(lambda: list(slack.views.values()))
    clicks = await asyncio.gather(
        bot.click(APPROVE, message=message, user_id=ADMIN),
        bot.click(APPROVE, message=message, user_id=SECOND),
        bot.submit(DENY_MODAL, {}, view=opened.view, user_id=SECOND),
    )
    await _dm_to(slack, OUTSIDER_DM)
    await _until(lambda: any("Nothing done" in n for n in _notes(slack, clicks)))
    request = (await bot.store.read(lambda tx: tx.requests.open_requests())) or None
    assert request is None
    assert gencove.count("POST", "/api/v2/invitations/") in (0, 1)
    decided = [
        *await bot.store.read(lambda tx: tx.audit.entries(action="request_approved")),
        *await bot.store.read(lambda tx: tx.audit.entries(action="request_denied")),
    ]
    assert len(decided) == 1
    assert len(gencove.find("bob@partner.org")) == (
        1 if decided[0].action == "request_approved" else 0
    )
    assert len(slack.messages_in(OUTSIDER_DM)) == 1


def _notes(slack: FakeSlack, clicks: Any) -> list[str]:
    notes = [str(p.get("text")) for click in clicks[:2] for p in slack.response_posts(click[1])]
    return notes + [str(e.text) for e in slack.ephemerals]


async def test_one_decision_across_two_replicas(
    gencove: FakeGencove, slack: FakeSlack, database_url: str
) -> None:
    """Two bot processes on one database (PostgreSQL: two replicas), each clicked at once."""
    slack.add_user(SECOND, name="sam")
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "INVITE_ADMINS": f"{ADMIN},{SECOND}"}
    async with (
        running_bot(gencove, slack, database_url, **env) as one,
        running_bot(gencove, slack, database_url, **env) as two,
    ):
        message, _ = await _ask(one, "invite bob@partner.org dan@partner.org")
        await asyncio.gather(
            one.click(APPROVE, message=message, user_id=ADMIN),
            two.click(APPROVE, message=message, user_id=SECOND),
        )
        await _dm_to(slack, OUTSIDER_DM)
        approved = await one.store.read(lambda tx: tx.audit.entries(action="request_approved"))
    assert len(approved) == 1
    assert gencove.count("POST", "/api/v2/invitations/") == 2
    assert len(gencove.find("bob@partner.org")) == 1
    assert len(gencove.find("dan@partner.org")) == 1
    assert len(slack.messages_in(OUTSIDER_DM)) == 1


async def test_an_expired_request_is_marked_once_and_cannot_be_approved(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "INVITE_REQUEST_TTL": "1s"}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as bot:
        message, _ = await _ask(bot, "invite bob@partner.org")
        request = await _request_of(bot, message)
        assert request is not None
        await _until(lambda: datetime.now(UTC) >= request.expires_at)
        _, url = await bot.click(APPROVE, message=message)
        await slack.wait_for(lambda: slack.response_posts(url))
        assert "expired" in slack.response_posts(url)[0]["text"]
        watcher = bot.bot.watcher()
        await watcher.poll()
        await watcher.poll()
        [dm] = await _dm_to(slack, OUTSIDER_DM)
        assert "expired without a decision" in (dm.text or "")
        assert "Expired" in block_text(_shown(slack, message).blocks, "request_status")
        updates = [c for c in slack.calls_to("chat.update") if c.args.get("ts") == message.ts]
        assert len(updates) == 1
        assert len(await bot.store.read(lambda tx: tx.audit.entries(action="request_expired"))) == 1
    assert gencove.count("POST", "/api/v2/invitations/") == 0


async def test_the_watcher_expires_a_request_nobody_clicked(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "INVITE_REQUEST_TTL": "1s"}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as bot:
        message, _ = await _ask(bot, "invite bob@partner.org")
        request = await _request_of(bot, message)
        assert request is not None
        await _until(lambda: datetime.now(UTC) >= request.expires_at)
        await asyncio.gather(bot.bot.watcher().poll(), bot.bot.watcher().poll())
        await _dm_to(slack, OUTSIDER_DM)
        assert "Expired" in block_text(_shown(slack, message).blocks, "request_status")
        assert len(await bot.store.read(lambda tx: tx.audit.entries(action="request_expired"))) == 1
    assert len(slack.messages_in(OUTSIDER_DM)) == 1


async def test_a_request_asked_before_a_restart_is_approved_after_it(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS}
    async with running_bot(gencove, slack, url, **env) as before:
        message, _ = await _ask(before, "invite bob@partner.org")
    async with running_bot(gencove, slack, url, **env) as after:
        await after.click(APPROVE, message=message)
        [dm] = await _dm_to(slack, OUTSIDER_DM)
    assert "approved" in (dm.text or "")
    assert len(gencove.find("bob@partner.org")) == 1
    assert "Approved" in block_text(_shown(slack, message).blocks, "request_status")


async def test_requests_lists_them_and_the_member_withdraws_one(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, _ = await _ask(bot, "invite bob@partner.org")
    _, url = await bot.command("requests", user=ADMIN)
    await slack.wait_for(lambda: slack.response_posts(url))
    listing = slack.response_posts(url)[0]
    assert "1 open invite request" in listing["text"]
    assert APPROVE in json.dumps(listing["blocks"])
    _, url = await bot.command("requests", user=OUTSIDER)
    await slack.wait_for(lambda: slack.response_posts(url))
    mine = slack.response_posts(url)[0]
    assert WITHDRAW in json.dumps(mine["blocks"])
    request = await _request_of(bot, message)
    assert request is not None
    other, _ = await _ask(bot, "invite cat@partner.org")
    _, url = await bot.click(
        WITHDRAW, value=str(request.id), user_id=OUTSIDER, container="ephemeral"
    )
    await _until(lambda: "Withdrawn" in _status(slack, message))
    await bot.settled()
    # One answer, in place of the list clicked: what was withdrawn, then what is still open.
    [answer] = slack.response_posts(url)
    assert answer.get("replace_original") is True
    assert answer["text"] == (
        "Withdrawn: your request to invite *bob@partner.org*. The inviters are no longer asked."
    )
    assert "cat@partner.org" in json.dumps(answer["blocks"])
    assert "bob@partner.org" not in json.dumps(answer["blocks"][1:])
    assert "Withdrawn" not in _status(slack, other)
    withdrawn = await bot.store.read(lambda tx: tx.requests.get(request.id))
    assert withdrawn is not None
    assert withdrawn.status == "withdrawn"
    assert await bot.store.read(lambda tx: tx.audit.entries(action="request_withdrawn"))
    assert gencove.count("POST", "/api/v2/invitations/") == 0


async def test_a_member_has_at_most_ten_open_requests_and_the_allow_list_holds(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "ALLOWED_EMAIL_DOMAINS": "partner.org"}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as bot:
        refused, _ = await bot.command("invite eve@evil.com", user=OUTSIDER)
        assert "Nothing was sent" in refused.json()["text"]
        for number in range(10):
            await _ask(bot, f"invite p{number}@partner.org")
        _, url = await bot.command("invite p10@partner.org", user=OUTSIDER)
        await slack.wait_for(lambda: slack.response_posts(url))
        assert "10 open requests" in slack.response_posts(url)[0]["text"]
    assert len(slack.messages_in(APPROVALS)) == 10


async def test_asking_counts_against_the_members_rate_limit(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "INVITE_RATE_LIMIT": "2/hour"}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as bot:
        await _ask(bot, "invite a@partner.org b@partner.org")
        _, url = await bot.command("invite c@partner.org", user=OUTSIDER)
        await slack.wait_for(lambda: slack.response_posts(url))
        assert "Nothing was sent" in slack.response_posts(url)[0]["text"]
    assert len(slack.messages_in(APPROVALS)) == 1


async def test_without_an_approval_channel_each_inviter_gets_a_dm(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    slack.add_user(SECOND, name="sam")
    env = {"INVITE_ADMINS": f"{ADMIN},{SECOND}"}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as bot:
        _, url = await bot.command("invite bob@partner.org", user=OUTSIDER)
        await slack.wait_for(lambda: slack.response_posts(url))
        assert "direct message to 2 inviters" in slack.response_posts(url)[0]["text"]
        first, second = "D" + ADMIN[1:], "D" + SECOND[1:]
        await slack.wait_for(lambda: slack.messages_in(first) and slack.messages_in(second))
        [in_first] = slack.messages_in(first)
        await _until(lambda: _request_of(bot, in_first))
        await bot.click(APPROVE, message=in_first)
        await _dm_to(slack, OUTSIDER_DM)
        [in_second] = slack.messages_in(second)
        await _until(lambda: "Approved" in _status(slack, in_second))
    assert len(gencove.find("bob@partner.org")) == 1


async def test_the_ask_form_has_a_why_field_and_keeps_the_reason(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite", user=OUTSIDER)
    [opened] = await slack.wait_for(lambda: list(slack.views.values()))
    view = opened.view
    assert view["callback_id"] == ASK_MODAL
    assert any(block.get("block_id") == WHY_BLOCK for block in view["blocks"])
    await bot.submit(
        ASK_MODAL,
        {
            ADDRESSES_BLOCK: {ADDRESSES_INPUT: "bob@partner.org"},
            WHY_BLOCK: {WHY_INPUT: "Runs the <b>partner</b> lab's samples"},
        },
        view=view,
        user_id=OUTSIDER,
        private_metadata=json.dumps({"channel_id": "C_GENERAL"}),
    )
    await slack.wait_for(lambda: slack.messages_in(APPROVALS))
    [message] = slack.messages_in(APPROVALS)
    assert "Why: Runs the &lt;b&gt;partner&lt;/b&gt; lab's samples" in block_text(
        message.blocks, "request"
    )
    await slack.wait_for(lambda: slack.ephemerals)
    assert "Asked the inviters" in (slack.ephemerals[0].text or "")


async def test_approving_from_the_requests_list_updates_the_request_message(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, _ = await _ask(bot, "invite bob@partner.org")
    request = await _request_of(bot, message)
    assert request is not None
    _, url = await bot.click(APPROVE, value=str(request.id), container="ephemeral", user_id=SECOND)
    await _dm_to(slack, OUTSIDER_DM)
    await slack.wait_for(lambda: any(p.get("replace_original") for p in slack.response_posts(url)))
    assert "no open invite requests" in slack.response_posts(url)[-1]["text"]
    assert f"Approved* by <@{SECOND}>" in _status(slack, message)
    assert len(gencove.find("bob@partner.org")) == 1
