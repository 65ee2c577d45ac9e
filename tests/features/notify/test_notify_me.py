"""`/gencove notify me [off]`: the inviter's DMs about their own invitations, stored per
Slack user, on by default, never about one's own action (the channel still hears it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from invite_bot.features.notify.watcher import Watcher
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.harness import ADMIN, BotUnderTest, running_bot, sqlite_url

NEWS = "C0NEWS001"
SECOND = "U0ADMIN02"
DM = "D" + ADMIN[1:]


@pytest.fixture
async def bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    slack.add_user(SECOND, name="ben")
    async with running_bot(
        gencove,
        slack,
        sqlite_url(tmp_path),
        INVITE_NOTIFY_CHANNEL=NEWS,
        INVITE_ADMINS=f"{ADMIN},{SECOND}",
        SLACK_POST_INTERVAL="0.1",
    ) as under_test:
        yield under_test


async def _invite(bot: BotUnderTest, *emails: str) -> Watcher:
    await bot.command("invite " + " ".join(emails))
    await bot.posted_results()
    watcher = bot.bot.watcher()
    await watcher.poll()
    return watcher


def dms(slack: FakeSlack) -> list[str]:
    return [m.text or "" for m in slack.messages_in(DM)]


async def test_the_inviter_hears_of_acceptance_in_a_dm_by_default(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    watcher = await _invite(bot, "ana@lab.org")
    gencove.accept(gencove.find("ana@lab.org")[0])
    await watcher.poll()
    assert dms(slack) == [":white_check_mark: *ana@lab.org* accepted your invitation."]
    assert any("ana@lab.org accepted" in (m.text or "") for m in slack.messages_in(NEWS))


async def test_notify_me_off_stops_the_dms_and_notify_me_brings_them_back(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    watcher = await _invite(bot, "ana@lab.org", "bob@lab.org")
    _, url = await bot.command("notify me off")
    await slack.wait_for(lambda: slack.response_posts(url))
    assert "No more direct messages" in str(slack.response_posts(url)[0]["text"])
    assert await bot.store.read(lambda tx: tx.preferences.personal(ADMIN)) is False
    gencove.expire(gencove.find("ana@lab.org")[0])
    await watcher.poll()
    assert dms(slack) == []
    assert any("ana@lab.org expired" in (m.text or "") for m in slack.messages_in(NEWS))
    _, url = await bot.command("notify me")
    await slack.wait_for(lambda: slack.response_posts(url))
    gencove.expire(gencove.find("bob@lab.org")[0])
    await watcher.poll()
    assert len(dms(slack)) == 1
    assert "bob@lab.org" in dms(slack)[0]


async def test_no_dm_for_ones_own_revoke_but_one_when_someone_else_revokes(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    watcher = await _invite(bot, "ana@lab.org", "bob@lab.org")
    message = slack.last_message("C_GENERAL")
    assert message is not None
    ana, bob = gencove.find("ana@lab.org")[0], gencove.find("bob@lab.org")[0]
    await bot.click(
        REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}"
    )
    await slack.wait_for(lambda: ana.status_changes[-1].status == "revoked")
    await bot.click(
        REVOKE,
        value=str(bob.id),
        message=message,
        block_id=f"inv:{bob.id}",
        user_id=SECOND,
    )
    await slack.wait_for(lambda: bob.status_changes[-1].status == "revoked")
    await asyncio.sleep(0.3)  # both revokes recorded
    await watcher.poll()
    texts = dms(slack)
    assert len(texts) == 1, texts
    assert "bob@lab.org" in texts[0]
    assert f"<@{SECOND}>" in texts[0]
    news = [m.text or "" for m in slack.messages_in(NEWS)]
    assert any("ana@lab.org was revoked" in t for t in news)  # the channel still hears it
