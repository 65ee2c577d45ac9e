"""The Gencove stand-in's create rate limit (gencove/limits.py), over real loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from invite_bot.gencove.messages import retry_after
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.gencove.limits import CreateLimit

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


class Clock:
    """A monotonic clock the test moves by hand: the bucket refills only when told."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


async def test_n_plus_k_creates_in_one_second_refuse_exactly_k_until_the_second_is_over(
    gencove: FakeGencove, session: aiohttp.ClientSession
) -> None:
    clock = Clock()
    gencove.limit_clock = clock
    gencove.limit_creates(4)  # a burst of 4, refilled at 4 a second

    answers = [await create(session, gencove, f"n{i}@lab.org") for i in range(4 + 3)]

    assert [status for status, _ in answers] == [201] * 4 + [429] * 3
    assert [after for status, after in answers if status == 429] == ["1"] * 3
    assert len(gencove.invitations) == 4  # the refused ones made nothing
    assert gencove.find("n4@lab.org") == []
    assert gencove.find("n6@lab.org") == []
    assert gencove.rate_limited_creates == 3

    clock.seconds += 1.0  # the wait told is over: a whole burst passes again
    again = [(await create(session, gencove, f"m{i}@lab.org"))[0] for i in range(5)]
    assert again == [201] * 4 + [429]
    assert len(gencove.invitations) == 8
    assert gencove.rate_limited_creates == 4


async def test_a_fixed_retry_after_is_announced_as_given_and_the_client_reads_it(
    gencove: FakeGencove, session: aiohttp.ClientSession
) -> None:
    gencove.limit_clock = Clock()
    gencove.limit_creates(4, burst=1, retry_after=0.25)

    assert (await create(session, gencove, "f0@lab.org"))[0] == 201
    status, after = await create(session, gencove, "f1@lab.org")

    assert (status, after) == (429, "0.25")
    assert retry_after({"Retry-After": "0.25"}) == 0.25  # what the bot's client waits


async def test_the_control_interface_sets_the_announced_wait_and_shows_the_refusals(
    gencove: FakeGencove, session: aiohttp.ClientSession
) -> None:
    gencove.limit_clock = Clock()
    async with session.post(
        gencove.url + "/_fake/limit_creates",
        json={"per_second": 2, "burst": 2, "retry_after": 0.5},
    ) as response:
        assert response.status == 200
        assert (await response.json())["retry_after"] == 0.5
    answers = [await create(session, gencove, f"s{i}@lab.org") for i in range(3)]
    assert answers[2] == (429, "0.5")

    async with session.get(gencove.url + "/_fake/state?invitations=0") as response:
        state = await response.json()
    assert state["create_limit"] == {"per_second": 2, "burst": 2, "retry_after": 0.5, "refused": 1}
    assert state["request_counts"]["POST " + INVITATIONS] == 3  # the refused one is recorded


def test_the_wait_is_told_in_whole_seconds_rounded_up() -> None:
    assert [CreateLimit.retry_after(w) for w in (0.01, 1.0, 1.2)] == ["1", "1", "2"]
    with pytest.raises(ValueError, match="per_second"):
        CreateLimit(0)
    with pytest.raises(ValueError, match="retry_after"):
        CreateLimit(1, retry_after=0)
