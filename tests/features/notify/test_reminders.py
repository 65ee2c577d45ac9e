"""Reminders before expiry: one per invitation — across polls, a restart and two watcher
processes — none for an invitation accepted before it was due, none when turned off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.harness import ADMIN, BotUnderTest, bot_environment, running_bot, sqlite_url
from tests.support.processes import start_watcher
from tests.support.waiting import wait_until

NEWS = "C0NEWS001"


@pytest.fixture
async def bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NEWS, SLACK_POST_INTERVAL="0.1"
    ) as under_test:
        yield under_test


def reminders(slack: FakeSlack, channel: str) -> list[str]:
    return [m.text or "" for m in slack.messages_in(channel) if ":alarm_clock:" in (m.text or "")]


async def test_one_reminder_in_the_channel_and_to_the_inviter_and_none_once_accepted(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite ana@lab.org bob@lab.org")
    await bot.posted_results()
    watcher = bot.bot.watcher()
    await watcher.poll()  # the silent baseline
    ana, bob = gencove.find("ana@lab.org")[0], gencove.find("bob@lab.org")[0]
    gencove.expire_soon(ana)
    gencove.expire_soon(bob)
    gencove.accept(bob)  # accepted before the watcher saw it due: no reminder
    await watcher.poll()
    await watcher.poll()
    await watcher.poll()
    channel = reminders(slack, NEWS)
    assert len(channel) == 1
    assert "ana@lab.org" in channel[0]
    dm = reminders(slack, "D" + ADMIN[1:])
    assert len(dm) == 1
    assert "ana@lab.org" in dm[0]
    assert not any("bob@lab.org" in text for text in channel + dm)
    (entry,) = await bot.store.read(lambda tx: tx.audit.entries(action="reminder"))
    assert entry.email == "ana@lab.org"


async def test_no_reminder_when_turned_off(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NEWS, INVITE_REMIND_BEFORE="off"
    ) as bot:
        watcher = bot.bot.watcher()
        ana = gencove.add_invitation("ana@lab.org")
        await watcher.poll()
        gencove.expire_soon(ana)
        await watcher.poll()
    assert reminders(slack, NEWS) == []


async def test_reminders_once_across_a_restart_and_two_watcher_processes(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """Two `invite-bot watch` processes on one database, the leader killed with SIGKILL
    and a third started: each invitation that came due is reminded exactly once."""
    for index in range(8):
        gencove.add_invitation(f"user{index}@lab.org")
    env = bot_environment(
        gencove,
        slack,
        sqlite_url(tmp_path),
        WATCH_INTERVAL="0.3",
        INVITE_NOTIFY_CHANNEL=NEWS,
        SLACK_POST_INTERVAL="0.05",
    )
    first = await start_watcher(env, tmp_path, "watcher-a")
    second = await start_watcher(env, tmp_path, "watcher-b")
    started = [first, second]
    try:
        await wait_until(
            lambda: "watcher baseline" in first.output() + second.output(), 15, "a baseline"
        )
        invitations = list(gencove.invitations.values())
        for invitation in invitations[:3]:
            gencove.expire_soon(invitation)
        await wait_until(lambda: len(reminders(slack, NEWS)) >= 3, 15, "3 reminders", *started)
        leader = first if "watcher took the lead" in first.output() else second
        await leader.kill()
        for invitation in invitations[3:6]:
            gencove.expire_soon(invitation)
        third = await start_watcher(env, tmp_path, "watcher-c")
        started.append(third)
        await wait_until(lambda: len(reminders(slack, NEWS)) >= 6, 20, "6 reminders", *started)
        await asyncio.sleep(1.5)  # several more polls by whoever leads: nothing more
    finally:
        for process in started:
            await process.kill()
    texts = reminders(slack, NEWS)
    assert sorted(t.split("*")[1] for t in texts) == sorted(i.email for i in invitations[:6])
