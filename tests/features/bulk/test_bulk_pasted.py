"""A list pasted in a DM to the bot, as Slack's client sends it: the addresses it linked
(`<mailto:…|…>`) and the characters it encoded (`&amp;`, `&lt;`) are read as typed."""

from __future__ import annotations

from typing import Any

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from invite_bot.playground.slack.typed import message_text
from tests.support.blocks_text import find_block, text_of
from tests.support.bulk import DM, dm_message, final_message, invited_once
from tests.support.harness import BotUnderTest


def block_ids(blocks: list[Any] | None) -> list[str]:
    return [str(b.get("block_id")) for b in blocks or []]


async def test_a_list_pasted_in_a_dm_is_read_as_it_was_typed(
    bot: BotUnderTest, slack: FakeSlack, gencove: FakeGencove
) -> None:
    typed = "\n".join(
        [
            "ana@lab.org",
            "bob&co@lab.org",
            "O'Neil <carl@lab.org>",
            "<dan@lab.org>, eve@lab.org",
        ]
    )
    sent = message_text(typed)  # what Slack's client makes of it
    assert all(part in sent for part in ("<mailto:", "&amp;", "&lt;"))
    await bot.send(dm_message(sent))
    message = await final_message(slack)
    assert message.channel == DM
    emails = ["ana@lab.org", "bob&co@lab.org", "carl@lab.org", "dan@lab.org", "eve@lab.org"]
    invited_once(gencove, emails)
    assert sorted(i.email for i in gencove.invitations.values()) == sorted(emails)
    assert "5 invited" in text_of(find_block(message.blocks, "bulk_summary"))
    # No list of bad rows was offered: every row was read as typed.
    offers = [m for m in slack.messages_in(DM) if "bulk_choice" in block_ids(m.blocks)]
    assert offers == []
