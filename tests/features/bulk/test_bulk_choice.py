"""A bulk invite's choice through the real bot: "Invite the N good ones" and "Cancel" on
one list decide once, whichever click comes first or however close, and the other click
is told what happened."""

from __future__ import annotations

import asyncio

from invite_bot.features.bulk.blocks import BULK_DISCARD, BULK_START
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import (
    FakeSlack,
    Message,
    SlackDelivery,
    block_action_body,
)
from tests.faults import SlackFault, SlackFaults
from tests.support.blocks_text import find_block, text_of
from tests.support.bulk import (
    CREATE,
    DM,
    addresses,
    dm_message,
    final_message,
    invited_once,
    progress_of,
)
from tests.support.harness import ADMIN, BotUnderTest
from tests.support.waiting import until


async def offered_in_dm(bot: BotUnderTest, slack: FakeSlack, emails: list[str]) -> Message:
    """The choice the bot offers for `emails` plus one bad row, pasted in a DM."""
    before = len(slack.messages_in(DM))
    await bot.send(dm_message("\n".join([*emails, "not-an-address"])))
    await slack.wait_for(lambda: len(slack.messages_in(DM)) > before)
    offer = slack.messages_in(DM)[-1]
    assert find_block(offer.blocks, "bulk_choice")
    return offer


async def click(
    bot: BotUnderTest, slack: FakeSlack, action_id: str, offer: Message
) -> tuple[str, SlackDelivery]:
    value = find_block(offer.blocks, "bulk_choice")["elements"][0]["value"]
    url = slack.new_response_url()
    body = block_action_body(action_id, value=value, user_id=ADMIN, message=offer, response_url=url)
    return url, await bot.send(body)


async def answer(slack: FakeSlack, url: str) -> str:
    [said] = await slack.wait_for(lambda: slack.response_posts(url), timeout=30)
    return str(said.get("text") or "")


async def test_start_and_cancel_clicked_at_once_make_one_decision_and_tell_the_other(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    for round_ in range(4):
        emails = addresses(3, f"race{round_}-")
        offer = await offered_in_dm(bot, slack, emails)
        (start, _), (cancel, _) = await asyncio.gather(
            click(bot, slack, BULK_START, offer), click(bot, slack, BULK_DISCARD, offer)
        )
        started, cancelled = await answer(slack, start), await answer(slack, cancel)
        if started.startswith("Inviting"):
            assert "already started" in cancelled, cancelled
            await until(lambda emails=emails: all(gencove.find(e) for e in emails), timeout=30)
            invited_once(gencove, emails)
        else:
            assert cancelled == "Cancelled: nobody was invited."
            assert "was cancelled, so nobody was invited" in started, started
            await asyncio.sleep(0.3)
            assert all(gencove.find(e) == [] for e in emails)


async def test_cancel_after_the_start_won_says_the_invite_started(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    emails = addresses(3, "late")
    offer = await offered_in_dm(bot, slack, emails)
    start, _ = await click(bot, slack, BULK_START, offer)
    assert (await answer(slack, start)).startswith("Inviting the 3 good addresses")

    cancel, _ = await click(bot, slack, BULK_DISCARD, offer)

    assert "already started" in await answer(slack, cancel)
    await final_message(slack)
    invited_once(gencove, emails)
    assert "nobody was invited" not in slack.all_text()


async def test_start_after_cancel_is_told_the_list_was_cancelled_and_invites_nobody(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    emails = addresses(3, "gone")
    offer = await offered_in_dm(bot, slack, emails)
    cancel, _ = await click(bot, slack, BULK_DISCARD, offer)
    assert await answer(slack, cancel) == "Cancelled: nobody was invited."

    start, _ = await click(bot, slack, BULK_START, offer)

    assert "was cancelled, so nobody was invited" in await answer(slack, start)
    await asyncio.sleep(0.3)
    assert gencove.count("POST", CREATE) == 0


async def test_start_clicked_three_times_while_slack_is_slow_starts_once_and_says_so(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove, slack_faults: SlackFaults
) -> None:
    emails = addresses(3, "thrice")
    offer = await offered_in_dm(bot, slack, emails)
    slack_faults.inject("chat.postMessage", SlackFault.delay(2))  # the progress message is slow
    clicks = await asyncio.gather(*[click(bot, slack, BULK_START, offer) for _ in range(3)])
    said = sorted([await answer(slack, url) for url, _ in clicks])

    assert [text.startswith("Inviting") for text in said].count(True) == 1, said
    assert [text for text in said if not text.startswith("Inviting")] == [
        "Already started: its progress is in its own message."
    ] * 2
    message = await final_message(slack)
    assert "is done: 3 invited" in text_of(find_block(message.blocks, "bulk_summary"))
    assert len(progress_of(slack)) == 1
    invited_once(gencove, emails)
