"""The web app around Bolt: /healthz."""

from __future__ import annotations

from tests.support.harness import BotUnderTest


async def test_healthz_answers_when_the_database_is_reachable(bot: BotUnderTest) -> None:
    async with bot.session.get(bot.url.replace("/slack/events", "/healthz")) as response:
        assert response.status == 200
        assert (await response.json())["database"] == "reachable"
