"""Where invitation creates wait for their turn (invite_bot/gencove/create_pace.py), and
the client's creates going through it against the stand-in's own rate limit."""

from __future__ import annotations

import asyncio
import time

from invite_bot.domain.pacing import Pacer
from invite_bot.gencove.create_pace import NO_TURN, CreatePace, in_background
from invite_bot.gencove.errors import GencoveRateLimited
from invite_bot.playground.gencove import FakeGencove
from tests.faults import Fault, GencoveFaults
from tests.support.gencove import Leaks, eventually, make_client

INVITATIONS = "/api/v2/invitations/"


class HeldPacer(Pacer):
    """A pace the test holds shut, then opens: who goes first does not depend on time."""

    def __init__(self) -> None:
        super().__init__()
        self.held = True

    def delay(self, now: float) -> float:
        return 0.01 if self.held else 0.0


async def test_a_create_goes_straight_on_while_nothing_is_paced() -> None:
    pace = CreatePace()
    for _ in range(100):
        assert await pace.turn(under_way=False) == "free"
        pace.answered(time.monotonic(), 201, None)
    assert not pace.pacer.paced


async def test_only_a_429_paces_creates_not_a_5xx() -> None:
    pace = CreatePace()
    pace.answered(time.monotonic(), 201, None)
    for status in (500, 502, 503, 504, 400, 404):
        pace.answered(time.monotonic(), status, 1.0)
    assert not pace.pacer.paced
    pace.answered(time.monotonic(), 429, 1.0)
    assert pace.pacer.paced


async def test_a_create_under_way_goes_first_then_a_persons_then_a_background_jobs() -> None:
    pacer = HeldPacer()
    pace = CreatePace(pacer)
    order: list[str] = []

    async def create(name: str, *, under_way: bool = False, background: bool = False) -> None:
        if background:
            with in_background():
                await pace.turn(under_way=under_way)
        else:
            await pace.turn(under_way=under_way)
        order.append(name)

    tasks = [
        asyncio.create_task(create("bulk 1", background=True)),
        asyncio.create_task(create("person 1")),
        asyncio.create_task(create("bulk 2", background=True)),
        asyncio.create_task(create("retry", under_way=True, background=True)),
        asyncio.create_task(create("person 2")),
    ]
    await eventually(lambda: pace.waiting == len(tasks))
    assert order == []  # held: nobody went
    pacer.held = False
    await asyncio.gather(*tasks)
    assert order == ["retry", "person 1", "person 2", "bulk 1", "bulk 2"]


async def test_a_turn_that_would_come_too_late_is_refused_and_its_place_dropped() -> None:
    pacer = HeldPacer()
    pace = CreatePace(pacer)
    assert await pace.turn(under_way=True, latest=time.monotonic() + 0.05) == "late"
    waiting = asyncio.create_task(pace.turn(under_way=False))
    await eventually(lambda: pace.waiting == 1)
    pacer.held = False
    assert await waiting == "paced"


async def test_a_cancelled_wait_gives_its_turn_to_the_next() -> None:
    pacer = HeldPacer()
    pace = CreatePace(pacer)
    first = asyncio.create_task(pace.turn(under_way=False))
    second = asyncio.create_task(pace.turn(under_way=False))
    await eventually(lambda: pace.waiting == 2)
    first.cancel()
    pacer.held = False
    assert await second == "paced"
    assert first.cancelled()


async def test_creates_against_gencoves_limit_are_mostly_made_at_the_first_try(
    gencove: FakeGencove,
) -> None:
    gencove.limit_creates(10.0, burst=10)
    emails = [f"paced{i:03d}@lab.org" for i in range(60)]
    async with make_client(gencove, timeout=5.0, max_retries=6) as client:
        made = await asyncio.gather(*(client.create_invitation(e) for e in emails))
        assert client.create_pace.pacer.paced
    assert sorted(inv.email for inv in made) == emails
    creates = gencove.count("POST", INVITATIONS)
    # Without a pace, each of the 50 held back would be refused about every second until
    # its turn came: several hundred 429s. The first ones go before Gencove's first 429.
    assert gencove.rate_limited_creates <= 20
    assert creates == len(emails) + gencove.rate_limited_creates


async def test_without_a_limit_creates_are_never_paced(gencove: FakeGencove) -> None:
    async with make_client(gencove) as client:
        await asyncio.gather(*(client.create_invitation(f"free{i}@lab.org") for i in range(40)))
        assert not client.create_pace.pacer.paced
    assert gencove.count("POST", INVITATIONS) == 40


async def test_a_retry_after_0_does_not_hold_the_next_create() -> None:
    pace = CreatePace()
    pace.answered(time.monotonic(), 201, None)
    pace.answered(time.monotonic(), 429, 0.0)  # Gencove: try again now
    assert pace.pacer.paced
    assert pace.pacer.delay(time.monotonic()) == 0.0


class ShutAfterTheFirst(Pacer):
    """Lets the first create through, then none: a retry's turn never comes."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def delay(self, now: float) -> float:
        self.asked += 1
        return 0.0 if self.asked == 1 else 0.01


async def test_a_retry_whose_turn_would_leave_no_whole_try_is_not_sent(
    gencove: FakeGencove, gencove_faults: GencoveFaults, leaks: Leaks
) -> None:
    gencove_faults.inject("POST", INVITATIONS, Fault.status(429, retry_after=0))
    async with make_client(gencove, timeout=0.5, deadline=1.2) as client:
        client.create_pace = CreatePace(ShutAfterTheFirst())
        error = await leaks.expect(GencoveRateLimited, client.create_invitation("late@lab.org"))
    assert error.message == NO_TURN
    assert gencove.count("POST", INVITATIONS) == 1  # the throttled try, not sent again
    assert gencove.find("late@lab.org") == []
