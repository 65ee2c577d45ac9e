"""The Gencove stand-in's create rate limit (gencove_limits.py), over real loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.gencove_limits import CreateLimit

INVITATIONS = "/api/v2/invitations/"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def create(
    session: aiohttp.ClientSession, fake: FakeGencove, email: str
) -> tuple[int, str | None]:
    async with session.post(
        fake.url + INVITATIONS,
        json={"email": email, "role": "member"},
        headers={"Authorization": f"Api-Key {fake.org_api_key}"},
    ) as response:
        await response.read()
        return response.status, response.headers.get("Retry-After")


async def test_creates_beyond_the_burst_are_answered_429_with_retry_after_and_make_nothing(
    gencove: FakeGencove, session: aiohttp.ClientSession
) -> None:
    gencove.limit_creates(2.0, burst=3)

    answers = [await create(session, gencove, f"u{i}@lab.org") for i in range(5)]

    assert [status for status, _ in answers] == [201, 201, 201, 429, 429]
    assert [after for status, after in answers if status == 429] == ["1", "1"]
    assert sorted(i.email for i in gencove.invitations.values()) == [
        "u0@lab.org",
        "u1@lab.org",
        "u2@lab.org",
    ]
    assert gencove.rate_limited_creates == 2

    await asyncio.sleep(0.6)  # one token back at 2 per second
    assert (await create(session, gencove, "u9@lab.org"))[0] == 201


async def test_the_limit_is_set_and_lifted_through_the_control_interface(
    gencove: FakeGencove, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        gencove.url + "/_fake/limit_creates", json={"per_second": 1, "burst": 1}
    ) as response:
        assert response.status == 200
    assert [(await create(session, gencove, f"c{i}@lab.org"))[0] for i in range(2)] == [201, 429]

    async with session.post(gencove.url + "/_fake/limit_creates", json={"per_second": None}):
        pass
    assert (await create(session, gencove, "c9@lab.org"))[0] == 201


def test_the_wait_is_told_in_whole_seconds_rounded_up() -> None:
    assert [CreateLimit.retry_after(w) for w in (0.01, 1.0, 1.2)] == ["1", "1", "2"]
    with pytest.raises(ValueError):
        CreateLimit(0)
