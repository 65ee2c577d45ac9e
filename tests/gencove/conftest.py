"""Fixtures of the Gencove client tests (helpers in tests/support/gencove.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from invite_bot.gencove.client import GencoveClient
from invite_bot.playground.gencove import FakeGencove
from tests.support.gencove import Leaks, client_for, record_waits, watch_leaks


@pytest.fixture
async def client(gencove: FakeGencove) -> AsyncIterator[GencoveClient]:
    async for under_test in client_for(gencove):
        yield under_test


@pytest.fixture(autouse=True)
def leaks(caplog: pytest.LogCaptureFixture) -> Iterator[Leaks]:
    """Fail a test whose errors or `invite_bot` log records contain a credential."""
    yield from watch_leaks(caplog)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the back-off sleeps the client asks for; skip them (see `record_waits`)."""
    return record_waits(monkeypatch)
