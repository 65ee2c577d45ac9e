"""Less noise: more than five notices to one channel at once are ONE summary (one poll's
transitions, one invite job's announcements), within Block Kit's limits; posts to one
channel are paced without holding up another channel."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.blocks_text import blocks_text
from tests.support.bulk import addresses, dm_message, final_message, report_of
from tests.support.harness import ADMIN, BotUnderTest, running_bot, sqlite_url

NEWS = "C0NEWS001"


async def test_seven_expiring_in_one_poll_are_one_summary(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NEWS, INVITE_REMIND_BEFORE="off"
    ) as bot:
        watcher = bot.bot.watcher()
        invitations = [gencove.add_invitation(f"p{i}@lab.org") for i in range(7)]
        await watcher.poll()
        for invitation in invitations:
            gencove.expire(invitation)
        await watcher.poll()
        await watcher.poll()
    (summary,) = slack.messages_in(NEWS)
    shown = str(summary.blocks)
    assert "7 invitations expired" in shown
    assert all(f"p{i}@lab.org" in shown for i in range(7))
    metadata = (summary.metadata or {}).get("event_payload") or {}
    assert len(metadata["keys"]) == 7


async def test_five_are_posted_one_by_one_paced_without_holding_up_another_channel(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NEWS) as bot:
        watcher = bot.bot.watcher()
        invitations = [gencove.add_invitation(f"p{i}@lab.org") for i in range(5)]
        await watcher.poll()
        await bot.store.write(lambda tx: tx.subscriptions.add("C0OTHER01", ADMIN))
        for invitation in invitations:
            gencove.expire(invitation)
        await watcher.poll()
    posts = [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == NEWS]
    assert len(posts) == 5
    times = sorted(float(str((c.response or {})["ts"])) for c in posts)
    # SLACK_POST_INTERVAL (1 s by default) at least between two posts' arrivals at Slack:
    # the bot counts it from the answer to the one before, so a busy machine cannot shorten it
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(times))
    other = sorted(
        float(str((c.response or {})["ts"]))
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == "C0OTHER01"
    )
    assert len(other) == 5
    # The other channel went at its own pace, alongside: its first post before NEWS's last.
    assert other[0] < times[-1]


async def test_a_fifty_address_invite_is_one_post_in_the_order_typed(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NEWS) as bot:
        watcher = bot.bot.watcher()
        await watcher.poll()
        emails = [f"{name}{i}@lab.org" for i, name in enumerate(("zed", "amy", "max") * 17)][:50]
        await bot.command("invite " + " ".join(emails))
        await bot.posted_results()
        await watcher.poll()
    (digest,) = slack.messages_in(NEWS)
    text = blocks_text(digest.blocks or [])
    assert text.startswith(f":envelope: <@{ADMIN}> invited 50 addresses (role member, expire ")
    assert len(digest.blocks or []) <= 50
    assert [text.index(f"*{email}*") for email in emails] == sorted(
        text.index(f"*{email}*") for email in emails
    )


async def test_an_invite_of_three_is_one_post_in_the_order_typed(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NEWS) as bot:
        await bot.bot.watcher().poll()
        await bot.command("invite zoe@lab.org ana@lab.org max@lab.org")
        await bot.posted_results()
        await bot.bot.watcher().poll()
    (digest,) = slack.messages_in(NEWS)  # one post, not three
    text = blocks_text(digest.blocks or [])
    assert text.startswith(f":envelope: <@{ADMIN}> invited 3 addresses (role member, expire ")
    assert text.endswith("): *zoe@lab.org*, *ana@lab.org*, *max@lab.org*")
    assert digest.text == f"<@{ADMIN}> invited 3 addresses"
    metadata = (digest.metadata or {}).get("event_payload") or {}
    assert len(metadata["keys"]) == 3  # it stands for the three notices, posted once


async def test_a_bulk_invite_is_one_post_with_its_count_and_where_its_report_is(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NEWS) as bot:
        await bot.bot.watcher().poll()
        emails = addresses(57)
        await bot.send(dm_message("\n".join(emails)))
        message = await final_message(slack)
        await report_of(slack, message)
        await _finished(bot)
        await bot.bot.watcher().poll()
    (digest,) = slack.messages_in(NEWS)
    link = f"{slack.base_url}/archives/{message.channel}/p{message.ts.replace('.', '')}"
    assert blocks_text(digest.blocks or []) == (
        f":envelope: <@{ADMIN}> invited 57 addresses in a bulk invite. Its report (a CSV of "
        f"every address) is in the thread of <{link}|its message>."
    )
    assert not any(email in str(digest.blocks) for email in emails)


async def _finished(bot: BotUnderTest) -> None:
    """Until the bulk job is finished: its announcements wait for it."""
    for _ in range(1200):
        if not await bot.store.read(lambda tx: tx.jobs.unfinished()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the bulk job did not finish")
