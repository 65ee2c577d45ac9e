"""A slow Gencove: with the switch on, the sandbox takes 0.5 to 1 s to make each
invitation, so a bulk invite's progress can be watched (and cancelled). Over loopback: the
sandbox itself, then the playground's switch. The page's switch is in test_browser_bulk.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.page import SLOW_CREATES
from tests.playground.control import Page

INVITATIONS = "/api/v2/invitations/"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def _create(session: aiohttp.ClientSession, fake: FakeGencove, email: str) -> int:
    async with session.post(
        fake.url + INVITATIONS,
        json={"email": email, "role": "member"},
        headers={"Authorization": f"Api-Key {fake.org_api_key}"},
    ) as response:
        await response.read()
        return response.status


async def test_a_slow_gencove_takes_its_time_over_each_invitation(
    gencove: FakeGencove, session: aiohttp.ClientSession
) -> None:
    gencove.slow_creates = (0.3, 0.4)
    started = time.monotonic()
    statuses = await asyncio.gather(
        *(_create(session, gencove, f"slow{i}@lab.org") for i in range(3))
    )
    took = time.monotonic() - started
    assert statuses == [201, 201, 201]
    assert len(gencove.find("slow2@lab.org")) == 1
    waits = sorted(r.seconds or 0 for r in gencove.requests if r.method == "POST")
    assert waits[0] >= 0.3
    assert took < 1.0, "creates sent together take their time side by side"

    started = time.monotonic()
    async with session.get(
        gencove.url + INVITATIONS, headers={"Authorization": f"Api-Key {gencove.org_api_key}"}
    ) as response:
        assert response.status == 200
    assert time.monotonic() - started < 0.3, "only creates are slow"

    gencove.slow_creates = None
    started = time.monotonic()
    assert await _create(session, gencove, "fast@lab.org") == 201
    assert time.monotonic() - started < 0.3


def test_a_slow_gencove_is_told_sensible_times(gencove: FakeGencove) -> None:
    with pytest.raises(ValueError, match="shortest"):
        gencove.slow_creates = (1.0, 0.5)
    assert gencove.slow_creates is None


async def test_the_playgrounds_switch_slows_the_bots_creates(page: Page) -> None:
    state = await page.get("/state", user="admin", channel="general")
    assert 'data-gencove="slow">' in state["gencove"]  # off: not checked
    assert (await page.post("/gencove/slow", {"on": True})) == {"ok": True, "slow": True}
    state = await page.get("/state", user="admin", channel="general")
    assert 'data-gencove="slow" checked>' in state["gencove"]
    assert "0.5–1 s" in state["gencove"]

    await page.command("invite slow-a@lab.org slow-b@lab.org")
    await page.message_with("slow-b@lab.org", kind="message")
    creates = [
        row
        for row in (await page.get("/traffic"))["traffic"]
        if row["where"] == "Gencove" and row["what"] == f"POST {INVITATIONS}"
    ]
    assert len(creates) == 2
    shortest, _ = SLOW_CREATES
    assert all(row["seconds"] >= shortest for row in creates)

    assert (await page.post("/gencove/slow", {"on": False})) == {"ok": True, "slow": False}
    assert (await page.post("/gencove/slow", {"on": "yes"}, status=400))["error"]
