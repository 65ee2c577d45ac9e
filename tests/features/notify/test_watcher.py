"""The watcher: baseline, each transition notified once, messages updated, cheap polls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from invite_bot.store.repositories.outbox import Outbox
from tests.faults import SlackFaults
from tests.support.blocks_text import action_ids, block_text
from tests.support.dbs import DATABASES, fresh_database
from tests.support.harness import ADMIN, BotUnderTest, running_bot


@pytest.fixture(params=DATABASES)
async def watched(
    request: pytest.FixtureRequest, gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    async with (
        fresh_database(request.param, tmp_path) as url,
        running_bot(gencove, slack, url, INVITE_NOTIFY_CHANNEL="C0ALWAYS1") as under_test,
    ):
        yield under_test


def _notifications(slack: FakeSlack, channel: str) -> list[str]:
    return [m.text or "" for m in slack.messages_in(channel)]


async def test_first_poll_is_a_silent_baseline(
    watched: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    gencove.add_invitation("old@lab.org")
    stats = await watched.bot.watcher().poll()
    assert stats.baseline
    assert slack.calls_to("chat.postMessage") == []
    assert (await watched.store.read(lambda tx: tx.invitations.by_email("old@lab.org")))[
        0
    ].status == "pending"


async def test_each_transition_is_notified_once_per_channel(
    watched: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    watcher = watched.bot.watcher()
    ana = gencove.add_invitation("ana@lab.org")
    bob = gencove.add_invitation("bob@lab.org")
    cid = gencove.add_invitation("cid@lab.org")
    await watcher.poll()
    await watched.store.write(lambda tx: tx.subscriptions.add("C_NEWS", ADMIN))
    gencove.accept(ana)
    gencove.revoke(bob.id)
    gencove.expire(cid.id)
    dan = gencove.add_invitation("dan@lab.org")
    stats = await watcher.poll()
    assert stats.transitions == 4
    for channel in ("C_NEWS", "C0ALWAYS1"):
        texts = _notifications(slack, channel)
        assert len(texts) == 4, texts
        assert any("ana@lab.org accepted" in t for t in texts)
        assert any("bob@lab.org was revoked" in t for t in texts)
        assert any("cid@lab.org expired" in t for t in texts)
        assert any("dan@lab.org was invited" in t and "outside Slack" in t for t in texts)
    again = await watcher.poll()
    assert again.transitions == 0
    assert len(_notifications(slack, "C_NEWS")) == 4
    assert dan.status == "pending"


async def test_a_poll_costs_pending_pages_plus_a_constant(
    watched: BotUnderTest, gencove: FakeGencove
) -> None:
    gencove.seed(1500, 250)
    watcher = watched.bot.watcher()
    await watcher.poll()
    pending = [i for i in gencove.invitations.values() if i.status == "pending"]
    for invitation in pending[:5]:
        gencove.accept(invitation)
    for invitation in pending[5:10]:
        gencove.revoke(invitation.id)
    stats = await watcher.poll()
    assert stats.transitions == 10
    assert stats.requests <= 3 + 4, stats  # ceil(245 / 100) pages + accepted + revoked lookups
    quiet = await watcher.poll()
    assert quiet.requests == 3


async def test_acceptance_updates_the_original_result_message(
    watched: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    watcher = watched.bot.watcher()
    await watcher.poll()
    await watched.command("invite ana@lab.org")
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    message = slack.messages_in("C_GENERAL")[0]
    # the bot records where it posted right after Slack answers: wait for that too
    for _ in range(200):
        if await watched.store.read(lambda tx: tx.jobs.for_message(message.channel, message.ts)):
            break
        await asyncio.sleep(0.01)
    gencove.accept(gencove.find("ana@lab.org")[0])
    await watcher.poll()
    updated = slack.messages[(message.channel, message.ts)]
    ana = gencove.find("ana@lab.org")[0]
    assert "accepted" in block_text(updated.blocks, f"inv:{ana.id}")
    assert REVOKE not in action_ids(updated.blocks)
    texts = _notifications(slack, "C0ALWAYS1")
    assert any("ana@lab.org accepted" in t and f"<@{ADMIN}>" in t for t in texts)


async def test_notification_left_in_sending_after_a_crash_is_not_posted_twice(
    watched: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    watcher = watched.bot.watcher()
    ana = gencove.add_invitation("ana@lab.org")
    await watcher.poll()
    gencove.accept(ana)

    # A crash right after Slack took the post, before it was recorded as sent:
    def crash(self: Outbox, item_id: int, ts: str | None) -> None:
        raise RuntimeError("killed")

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(Outbox, "mark_sent", crash)
        with pytest.raises(RuntimeError):
            await watcher.poll()
    assert len(_notifications(slack, "C0ALWAYS1")) == 1
    await watcher.deliver()
    assert len(_notifications(slack, "C0ALWAYS1")) == 1
    assert await watched.store.read(lambda tx: tx.outbox.claim()) == []


async def test_invitation_made_from_slack_is_announced_in_other_subscribed_channels(
    watched: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    watcher = watched.bot.watcher()
    await watcher.poll()
    await watched.store.write(lambda tx: tx.subscriptions.add("C_NEWS", ADMIN))
    await watched.store.write(lambda tx: tx.subscriptions.add("C_GENERAL", ADMIN))
    await watched.command("invite ana@lab.org")
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    await watcher.poll()
    news = _notifications(slack, "C_NEWS")
    assert len(news) == 1
    assert "ana@lab.org was invited" in news[0]
    assert f"<@{ADMIN}>" in news[0]
    # the channel it was made in already has the result message, and nothing more
    assert len(slack.messages_in("C_GENERAL")) == 1
    await watcher.poll()
    assert len(_notifications(slack, "C_NEWS")) == 1


async def test_notification_answered_with_a_slack_5xx_is_checked_before_it_is_posted_again(
    watched: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    from tests.faults import SlackFault

    watcher = watched.bot.watcher()
    ana = gencove.add_invitation("ana@lab.org")
    await watcher.poll()
    gencove.accept(ana)
    history_checks = len(slack.calls_to("conversations.history"))
    slack_faults.inject("chat.postMessage", SlackFault.status(503))
    await watcher.poll()
    # The 503 may have posted it: the history was read before the one more try.
    assert len(slack.calls_to("conversations.history")) == history_checks + 1
    assert len(_notifications(slack, "C0ALWAYS1")) == 1
    await watcher.deliver()
    assert len(_notifications(slack, "C0ALWAYS1")) == 1
    assert await watched.store.read(lambda tx: tx.outbox.claim()) == []
