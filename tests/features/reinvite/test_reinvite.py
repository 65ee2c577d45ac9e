"""Re-invite, end to end over loopback: from the result message, the expiry notification,
the reminder, `/gencove list expired` and `/gencove reinvite EMAIL`; refused when a
pending invitation exists or the clicker may not invite; once on a double click."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from invite_bot.features.notify.blocks import NOTICE_BLOCK
from invite_bot.features.notify.watcher import Watcher
from invite_bot.features.reinvite.blocks import REINVITE
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove, FakeInvitation
from invite_bot.playground.slack import FakeSlack, Message
from tests.support.blocks_text import block_text
from tests.support.harness import ADMIN, OUTSIDER, BotUnderTest, running_bot, sqlite_url

CREATE = ("POST", "/api/v2/invitations/")
NEWS = "C0NEWS001"


@pytest.fixture
async def bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NEWS, SLACK_POST_INTERVAL="0.1"
    ) as under_test:
        yield under_test


def _button(message: Message, action_id: str) -> dict[str, Any] | None:
    for block in message.blocks or []:
        candidates = [block.get("accessory") or {}, *(block.get("elements") or [])]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return element
    return None


async def _invited(bot: BotUnderTest, slack: FakeSlack, email: str) -> tuple[Message, Watcher]:
    """`/gencove invite email` in #general, and a watcher past its silent baseline."""
    await bot.command(f"invite {email}")
    posts = await bot.posted_results()
    response = posts[-1].response or {}
    watcher = bot.bot.watcher()
    await watcher.poll()
    return slack.messages[(str(response["channel"]), str(response["ts"]))], watcher


def _current(slack: FakeSlack, message: Message) -> Message:
    return slack.messages[(message.channel, message.ts)]


async def _new_invitation(gencove: FakeGencove, email: str, count: int) -> FakeInvitation:
    await _wait(lambda: len(gencove.find(email)) >= count, "a new invitation")
    return max(gencove.find(email), key=lambda i: i.created)


def _final(slack: FakeSlack, message: Message, new: FakeInvitation) -> bool:
    """The notice shows what it told, who re-invited, and the new row (with Revoke)."""
    blocks = _current(slack, message).blocks or []
    ids = {b.get("block_id") for b in blocks}
    return {NOTICE_BLOCK, f"inv:{new.id}"} <= ids and f"re-invited by <@{ADMIN}>" in str(blocks)


async def _wait(condition: Any, what: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_reinvite_from_the_result_message_updates_that_message(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, watcher = await _invited(bot, slack, "ana@lab.org")
    ana = gencove.find("ana@lab.org")[0]
    gencove.expire(ana)
    await watcher.poll()
    expired = _current(slack, message)
    button = _button(expired, REINVITE)
    assert button is not None
    assert button["value"] == str(ana.id)
    posts_before = len(slack.calls_to("chat.postMessage"))

    await bot.click(REINVITE, message=expired, block_id=f"inv:{ana.id}")

    new = await _new_invitation(gencove, "ana@lab.org", 2)
    assert new.status_changes[-1].status == "pending"
    assert new.role == ana.role
    await _wait(
        lambda: (
            {f"inv:{ana.id}", f"inv:{new.id}"}
            <= {b.get("block_id") for b in _current(slack, message).blocks or []}
        ),
        "the old and the new row in the clicked message",
    )
    shown = _current(slack, message)
    assert f"re-invited by <@{ADMIN}>" in block_text(shown.blocks, f"inv:{ana.id}")
    assert "invited" in block_text(shown.blocks, f"inv:{new.id}")
    row = next(b for b in shown.blocks or [] if b.get("block_id") == f"inv:{new.id}")
    assert row["accessory"]["action_id"] == REVOKE
    assert _button(shown, REINVITE) is None  # the old row is re-invited: no second button
    # The clicked message shows it: no new result message in #general.
    general = [
        c
        for c in slack.calls_to("chat.postMessage")[posts_before:]
        if c.args.get("channel") == "C_GENERAL"
    ]
    assert general == []
    assert gencove.count(*CREATE) == 2
    entries = await bot.store.read(lambda tx: tx.audit.entries(action="reinvite"))
    assert [(e.email, e.detail["old_invitation_id"]) for e in entries] == [
        ("ana@lab.org", str(ana.id))
    ]


async def test_a_double_click_reinvites_once(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, watcher = await _invited(bot, slack, "ana@lab.org")
    ana = gencove.find("ana@lab.org")[0]
    gencove.expire(ana)
    await watcher.poll()
    expired = _current(slack, message)
    (_, first), (_, second) = await asyncio.gather(
        bot.click(REINVITE, message=expired, block_id=f"inv:{ana.id}"),
        bot.click(REINVITE, message=expired, block_id=f"inv:{ana.id}"),
    )
    await _new_invitation(gencove, "ana@lab.org", 2)
    await _wait(
        lambda: any(
            "already re-invited" in str(p.get("text"))
            for url in (first, second)
            for p in slack.response_posts(url)
        ),
        "the second click's note",
    )
    await asyncio.sleep(0.5)  # the second click had every chance to create one too
    assert gencove.count(*CREATE) == 2
    assert len(gencove.find("ana@lab.org", status="pending")) == 1


async def test_reinvite_is_refused_while_a_pending_invitation_exists(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, watcher = await _invited(bot, slack, "ana@lab.org")
    ana = gencove.find("ana@lab.org")[0]
    gencove.expire(ana)
    await watcher.poll()
    gencove.add_invitation("ana@lab.org")  # made in Gencove's web app meanwhile
    creates = gencove.count(*CREATE)
    _, url = await bot.click(REINVITE, message=_current(slack, message), block_id=f"inv:{ana.id}")
    await _wait(lambda: slack.response_posts(url), "a note")
    note = str(slack.response_posts(url)[-1]["text"])
    assert "already exists" in note
    assert "ana@lab.org" in note
    assert gencove.count(*CREATE) == creates
    assert (
        await bot.store.read(lambda tx: tx.reinvites.get(str(ana.id))) is None
    )  # free to try again later


async def test_reinvite_is_refused_to_someone_who_may_not_invite(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    message, watcher = await _invited(bot, slack, "ana@lab.org")
    ana = gencove.find("ana@lab.org")[0]
    gencove.expire(ana)
    await watcher.poll()
    _, url = await bot.click(
        REINVITE, message=_current(slack, message), block_id=f"inv:{ana.id}", user_id=OUTSIDER
    )
    await _wait(lambda: slack.response_posts(url), "a note")
    assert gencove.count(*CREATE) == 1


async def test_reinvite_from_the_expiry_notification(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    _message, watcher = await _invited(bot, slack, "ana@lab.org")
    ana = gencove.find("ana@lab.org")[0]
    gencove.expire(ana)
    await watcher.poll()
    (notice,) = [m for m in slack.messages_in(NEWS) if "expired" in (m.text or "")]
    assert _button(notice, REINVITE) is not None
    await bot.click(REINVITE, message=notice, channel_id=NEWS)
    new = await _new_invitation(gencove, "ana@lab.org", 2)
    await _wait(
        lambda: _final(slack, notice, new),
        "the notification updated",
    )
    assert "expired" in block_text(_current(slack, notice).blocks, NOTICE_BLOCK)


async def test_reinvite_from_the_reminder_revokes_the_pending_one_first(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    _message, watcher = await _invited(bot, slack, "ana@lab.org")
    ana = gencove.find("ana@lab.org")[0]
    gencove.expire_soon(ana)
    await watcher.poll()
    (reminder,) = [m for m in slack.messages_in(NEWS) if "alarm_clock" in (m.text or "")]
    assert "expires" in (reminder.text or "")
    assert _button(reminder, REVOKE) is not None
    # It revokes the pending invitation first: Slack asks before, as for Revoke.
    button = _button(reminder, REINVITE)
    assert button is not None
    assert button["confirm"]["title"]["text"] == "Re-invite?"
    assert button["confirm"]["text"]["text"] == (
        "The pending invitation to ana@lab.org is revoked first, so its link stops working; "
        "then a new one is sent."
    )
    assert button["confirm"]["confirm"]["text"] == "Revoke and re-invite"
    await bot.click(REINVITE, message=reminder, channel_id=NEWS)
    new = await _new_invitation(gencove, "ana@lab.org", 2)
    await _wait(lambda: ana.status_changes[-1].status == "revoked", "the old one revoked")
    assert gencove.count("DELETE", "/api/v2/invitations/") == 1
    assert [i.id for i in gencove.find("ana@lab.org", status="pending")] == [new.id]
    await _wait(
        lambda: _final(slack, reminder, new),
        "the reminder updated",
    )
    # The reminder now says what became of it, by whom, and offers nothing more to click.
    shown = _current(slack, reminder)
    assert block_text(shown.blocks, NOTICE_BLOCK).endswith(
        f"It was re-invited by <@{ADMIN}>: that one was revoked and a new one sent."
    )
    assert "has not been accepted" not in str(shown.blocks)
    assert not [b for b in shown.blocks or [] if b.get("type") == "actions" or b.get("accessory")]


async def test_reinvite_from_the_list_of_expired_invitations(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    old = gencove.add_invitation("bob@lab.org", status="expired")
    _, url = await bot.command("list expired")
    await _wait(lambda: slack.response_posts(url), "the list")
    page = slack.response_posts(url)[-1]
    blocks = page["blocks"]
    row = next(b for b in blocks if b.get("block_id") == f"inv:{old.id}")
    assert row["accessory"]["action_id"] == REINVITE
    _, click_url = await bot.click(
        REINVITE,
        value=row["accessory"]["value"],
        message=blocks,
        container="ephemeral",
        block_id=f"inv:{old.id}",
    )
    await _new_invitation(gencove, "bob@lab.org", 2)
    await _wait(
        lambda: any(p.get("replace_original") for p in slack.response_posts(click_url)),
        "the list shown again",
    )
    again = next(p for p in slack.response_posts(click_url) if p.get("replace_original"))
    assert f"re-invited by <@{ADMIN}>" in block_text(again["blocks"], f"inv:{old.id}")
    # From a private list, the invite is announced like any other: one result message.
    await _wait(lambda: slack.messages_in("C_GENERAL"), "the result message")


async def test_reinvite_typed(bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack) -> None:
    gencove.add_invitation("cid@lab.org", status="revoked")
    await bot.command("reinvite cid@lab.org")
    new = await _new_invitation(gencove, "cid@lab.org", 2)
    assert new.status_changes[-1].status == "pending"
    _, url = await bot.command("reinvite cid@lab.org")  # pending now: refused
    await _wait(lambda: slack.response_posts(url), "a note")
    assert "still pending" in str(slack.response_posts(url)[-1]["text"])
    assert gencove.count(*CREATE) == 1
