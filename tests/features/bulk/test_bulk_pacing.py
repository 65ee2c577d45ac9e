"""A bulk invite against Gencove's rate limit, the bot in its own process: it keeps to the
pace Gencove accepts (counted at the Gencove stand-in, not timed), still waits out every
`Retry-After` before sending the same address again, and rides out 5xx answers."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.gencove.model import RecordedRequest
from invite_bot.playground.slack import FakeSlack, deliver
from tests.faults import Fault, GencoveFaults
from tests.support.blocks_text import find_block, text_of
from tests.support.bulk import addresses, dm_message, final_message, invited_once, report_of
from tests.support.harness import SIGNING_SECRET, bot_environment, sqlite_url
from tests.support.processes import BotProcess, start_bot_process, stop_bot_process

CREATE = "/api/v2/invitations/"
COUNT = 200


@pytest.fixture
async def bot_process(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotProcess]:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), GENCOVE_TIMEOUT="5")
    process = await start_bot_process(env, tmp_path, "--no-watch")
    try:
        yield process
    finally:
        await stop_bot_process(process)


async def paste(process: BotProcess, emails: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        answer = await deliver(
            session, process.url + "/slack/events", dm_message("\n".join(emails)), SIGNING_SECRET
        )
    assert answer.status == 200


def creates(gencove: FakeGencove, prefix: str) -> list[RecordedRequest]:
    return [
        r
        for r in gencove.requests
        if r.method == "POST"
        and r.path == CREATE
        and isinstance(r.json, dict)
        and str(r.json.get("email", "")).startswith(prefix)
    ]


async def finished_summary(slack: FakeSlack, process: BotProcess) -> str:
    try:
        message = await final_message(slack, timeout=180)
        await report_of(slack, message)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\nthe bot said:\n{process.output()[-4000:]}") from exc
    return text_of(find_block(message.blocks, "bulk_summary"))


async def test_a_bulk_invite_keeps_to_gencoves_pace_with_few_429s(
    bot_process: BotProcess, gencove: FakeGencove, slack: FakeSlack
) -> None:
    gencove.limit_creates(10.0, burst=10)  # 429 + Retry-After: 1 beyond
    emails = addresses(COUNT, "pace")
    await paste(bot_process, emails)
    summary = await finished_summary(slack, bot_process)
    assert f"{COUNT} invited" in summary
    invited_once(gencove, emails)
    sent = creates(gencove, "pace")
    refused = [r for r in sent if r.status == 429]
    assert len(sent) == COUNT + len(refused)
    # Each worker on its own sent 3.4 creates an invitation (2.4 of them refused): the
    # pace keeps it near one, a handful refused as the job starts and one now and then.
    assert len(refused) <= 0.3 * COUNT
    assert len(refused) == gencove.rate_limited_creates


async def test_the_same_address_is_never_sent_again_before_its_retry_after(
    bot_process: BotProcess, gencove: FakeGencove, slack: FakeSlack
) -> None:
    gencove.limit_creates(10.0, burst=10)
    emails = addresses(COUNT, "again")
    await paste(bot_process, emails)
    await finished_summary(slack, bot_process)
    invited_once(gencove, emails)
    tries: dict[str, list[RecordedRequest]] = {}
    for request in sorted(creates(gencove, "again"), key=lambda r: r.received):
        assert isinstance(request.json, dict)
        tries.setdefault(str(request.json["email"]), []).append(request)
    gaps = [
        (later.received - earlier.received).total_seconds() - (earlier.seconds or 0.0)
        for attempts in tries.values()
        for earlier, later in itertools.pairwise(attempts)
        if earlier.status == 429
    ]
    assert gaps, "no 429 at all: the test shows nothing"
    assert min(gaps) >= 1.0 - 0.02  # Retry-After: 1, from the answer to the next try


async def test_a_bulk_invite_rides_out_5xx_answers_under_the_limit(
    bot_process: BotProcess, gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack
) -> None:
    gencove.limit_creates(10.0, burst=10)
    gencove_faults.inject("POST", CREATE, *[Fault.status(503)] * 10, *[Fault.status(502)] * 10)
    emails = addresses(100, "flaky")
    await paste(bot_process, emails)
    summary = await finished_summary(slack, bot_process)
    assert "100 invited" in summary
    assert "failed" not in summary
    invited_once(gencove, emails)
    answered = {r.status for r in creates(gencove, "flaky")}
    assert {502, 503} <= answered  # the faults were met, and backed off from
