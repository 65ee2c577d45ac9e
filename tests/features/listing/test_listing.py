"""`/gencove list`: twenty a page with Next and Previous, and Revoke from the list."""

from __future__ import annotations

from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.blocks_text import block_text
from tests.support.harness import BotUnderTest


async def test_list_shows_twenty_a_page_with_next_and_previous(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    for i in range(25):
        gencove.add_invitation(f"person{i:02d}@lab.org")
    _, url = await bot.command("list")
    await slack.wait_for(lambda: slack.response_posts(url))
    first = slack.response_posts(url)[0]
    assert first["response_type"] == "ephemeral"
    assert "25 pending invitations" in block_text(first["blocks"], "list_header")
    rows = [b for b in first["blocks"] if b.get("block_id", "").startswith("inv:")]
    assert len(rows) == 20
    assert all(b["accessory"]["action_id"] == REVOKE for b in rows)
    nav = next(b for b in first["blocks"] if b["type"] == "actions")
    next_button = next(e for e in nav["elements"] if e["text"]["text"] == "Next")
    _, page_url = await bot.click(
        next_button["action_id"], value=next_button["value"], container="ephemeral"
    )
    await slack.wait_for(lambda: slack.response_posts(page_url))
    second = slack.response_posts(page_url)[0]
    assert second["replace_original"] is True
    rows = [b for b in second["blocks"] if b.get("block_id", "").startswith("inv:")]
    assert len(rows) == 5
    labels = [
        e["text"]["text"] for b in second["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Previous"]


async def test_revoke_from_the_list_refreshes_the_page(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    ana = gencove.add_invitation("ana@lab.org")
    _, url = await bot.command("list")
    await slack.wait_for(lambda: slack.response_posts(url))
    row = next(
        b for b in slack.response_posts(url)[0]["blocks"] if b.get("block_id") == f"inv:{ana.id}"
    )
    _, click_url = await bot.click(
        REVOKE, value=row["accessory"]["value"], container="ephemeral"
    )
    await slack.wait_for(lambda: slack.response_posts(click_url))
    assert ana.status == "revoked"
    assert "no pending invitations" in slack.response_posts(click_url)[0]["text"].lower()
