"""Shared fixtures: the Gencove and Slack stand-ins, and the bot wired to them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.harness import ADMIN, BOT_TOKEN, OUTSIDER, BotUnderTest, running_bot, sqlite_url


@pytest.fixture
async def gencove() -> AsyncIterator[FakeGencove]:
    async with FakeGencove() as fake:
        yield fake
        assert fake.violations == [], "requests or responses broke Gencove's OpenAPI document"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=BOT_TOKEN) as fake:
        fake.add_user(ADMIN, name="ana", is_admin=True)
        fake.add_user(OUTSIDER, name="olga")
        yield fake
        assert fake.violations == [], "the bot sent Slack something malformed"


@pytest.fixture
async def bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    async with running_bot(gencove, slack, sqlite_url(tmp_path)) as under_test:
        yield under_test
