"""The tests of the playground's control API: each takes `page`, a playground of its own
(the Gencove sandbox, the local Slack, the real bot and the page, in-process on 127.0.0.1)
driven over HTTP as the page's script drives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from invite_bot.playground.run import Options, playground
from tests.playground.control import Page


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    database = f"sqlite+aiosqlite:///{tmp_path / 'playground.sqlite3'}"
    async with (
        playground(Options(port=0, db=database)) as address,
        aiohttp.ClientSession() as session,
    ):
        yield Page(session, address)
