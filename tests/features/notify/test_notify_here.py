"""`/gencove notify here`, `notify off` and `notify`: the channels that hear of changes."""

from __future__ import annotations

from invite_bot.playground.slack import FakeSlack
from tests.support.harness import BotUnderTest


async def test_notify_here_off_and_show(bot: BotUnderTest, slack: FakeSlack) -> None:
    _, url = await bot.command("notify here", channel="C_NEWS")
    await slack.wait_for(lambda: slack.response_posts(url))
    assert "will get a message" in slack.response_posts(url)[0]["text"]
    _, url = await bot.command("notify")
    await slack.wait_for(lambda: slack.response_posts(url))
    assert "<#C_NEWS>" in slack.response_posts(url)[0]["text"]
    _, url = await bot.command("notify off", channel="C_NEWS")
    await slack.wait_for(lambda: slack.response_posts(url))
    assert "no longer" in slack.response_posts(url)[0]["text"]
    assert await bot.store.read(lambda tx: tx.subscriptions.all()) == []
