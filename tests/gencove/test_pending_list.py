"""Invite jobs that start together share one read of Gencove's pending list, but never a
read that began before their claims were taken (jobs/pending.py)."""

from __future__ import annotations

import asyncio
import time

from invite_bot.gencove.client import GencoveClient
from invite_bot.jobs.pending import PendingList
from invite_bot.playground.gencove import FakeGencove
from tests.faults import GencoveFaults

LISTING = "/api/v2/invitations/"


def reads(gencove: FakeGencove) -> int:
    return gencove.count("GET", LISTING)


async def test_jobs_claimed_before_a_read_began_share_it(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    gencove.add_invitation("ana@lab.org")
    gencove.latency = 0.2
    shared = PendingList(client)
    claimed_at = time.monotonic()

    found = await asyncio.gather(*(shared.read_after(claimed_at) for _ in range(10)))

    assert reads(gencove) == 1
    assert all(f is not None and set(f) == {"ana@lab.org"} for f in found)


async def test_a_job_claimed_after_a_read_began_waits_for_the_next_one_which_later_jobs_share(
    gencove: FakeGencove, client: GencoveClient
) -> None:
    gencove.latency = 0.3
    shared = PendingList(client)
    early = asyncio.ensure_future(shared.read_after(time.monotonic()))
    await asyncio.sleep(0.1)  # that read is under way
    # Made (and recorded by the job that made it) after the first read began.
    gencove.add_invitation("bo@lab.org")
    late = [asyncio.ensure_future(shared.read_after(time.monotonic())) for _ in range(5)]

    first, *seconds = await asyncio.gather(early, *late)

    assert reads(gencove) == 2
    assert first is not None
    assert all(s is not None and "bo@lab.org" in s for s in seconds)


async def test_a_read_that_fails_answers_none_to_every_job_sharing_it_and_the_next_reads_again(
    gencove: FakeGencove, gencove_faults: GencoveFaults, client: GencoveClient
) -> None:
    shared = PendingList(client)
    gencove_faults.fail_rate(1.0, kinds=[400])
    claimed_at = time.monotonic()

    found = await asyncio.gather(*(shared.read_after(claimed_at) for _ in range(3)))

    assert found == [None, None, None]
    gencove_faults.fail_rate(0.0)
    assert await shared.read_after(time.monotonic()) == {}
