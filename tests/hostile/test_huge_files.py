"""A CSV of a million one-character rows (2 MB, under the byte cap) shared in a DM is
refused for its row count as soon as that is known, and acknowledgements of other
requests stay within Slack's 3 s while it is read."""

from __future__ import annotations

import asyncio
import time

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, event_body
from tests.support.harness import ADMIN, BotUnderTest

DM = "D" + ADMIN[1:]


def file_shared(file_id: str) -> bytes:
    return event_body(
        {
            "type": "file_shared",
            "file_id": file_id,
            "user_id": ADMIN,
            "file": {"id": file_id},
            "channel_id": DM,
            "event_ts": f"{time.time():.6f}",
        }
    )


async def test_a_million_rows_are_refused_by_count_and_acks_stay_quick(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    shared = slack.files.add("huge.csv", b"a\n" * 1_000_000, user=ADMIN, channel=DM)
    sent = asyncio.create_task(bot.send(file_shared(shared.id)))
    acks = []
    for _ in range(5):
        started = time.monotonic()
        answer, _ = await bot.command("help")
        assert answer.status == 200
        acks.append(time.monotonic() - started)
        await asyncio.sleep(0.2)
    assert (await sent).status == 200
    [refusal] = await slack.wait_for(lambda: slack.messages_in(DM), timeout=30)
    said = refusal.text or ""
    assert "more than 1,000 rows" in said
    assert "nothing was sent" in said
    assert max(acks) < 3, acks
    assert gencove.count("POST", "/api/v2/invitations/") == 0
