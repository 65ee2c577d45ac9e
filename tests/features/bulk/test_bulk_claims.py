"""A bulk job and another invite that share addresses, through the real bot: the job
never waits for some addresses while it holds others (it sends what it holds, then waits
holding nothing), and its Cancel is acted on while it waits."""

from __future__ import annotations

from pathlib import Path

from invite_bot.features.bulk.blocks import BULK_CANCEL
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, block_action_body
from tests.faults import Fault, GencoveFaults
from tests.support.blocks_text import find_block, text_of
from tests.support.bulk import (
    CREATE,
    addresses,
    dm_message,
    final_message,
    invited_once,
    progress_of,
)
from tests.support.harness import ADMIN, running_bot, sqlite_url
from tests.support.waiting import until

HELD = 40.0  # seconds Gencove holds the other invite's create: far past every wait below


async def test_a_bulk_job_sends_what_it_holds_and_its_cancel_ends_its_wait_for_the_rest(
    gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack, tmp_path: Path
) -> None:
    gencove_faults.inject("POST", CREATE, Fault.hang(HELD))
    held = "held@lab.org"
    free = addresses(3, "free")
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), GENCOVE_TIMEOUT=str(HELD + 20)
    ) as bot:
        await bot.command(f"invite {held}")  # its claim is held while Gencove holds it
        await until(lambda: gencove.count("POST", CREATE) == 1, timeout=30)
        await bot.send(dm_message("\n".join([held, *free])))

        # What no other invite holds is sent at once (it was held, unsent, until the
        # other invite let its address go, or for 5 minutes).
        await until(lambda: all(gencove.find(e) for e in free), timeout=25)
        [progress] = progress_of(slack)
        # Posted with its Cancel before anything was sent.
        button = find_block(progress.history[0]["blocks"], "bulk_actions")["elements"][0]
        await bot.send(
            block_action_body(
                BULK_CANCEL,
                value=button["value"],
                user_id=ADMIN,
                message=progress,
                response_url=slack.new_response_url(),
            )
        )
        # The wait for the held address ends with the Cancel, not with the other invite.
        message = await final_message(slack, timeout=25)
        assert gencove.find(held) == []  # the other invite is still in flight
        summary = text_of(find_block(message.blocks, "bulk_summary"))
        assert "3 invited · 1 not sent (cancelled)" in summary, summary
        invited_once(gencove, free)
