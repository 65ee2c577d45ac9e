"""`/gencove list`: twenty a page with Next and Previous, and Revoke from the list."""

from __future__ import annotations

from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.blocks_text import block_text
from tests.support.harness import ADMIN, BotUnderTest


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
    _, click_url = await bot.click(REVOKE, value=row["accessory"]["value"], container="ephemeral")
    await slack.wait_for(lambda: slack.response_posts(click_url))
    assert ana.status == "revoked"
    assert "no pending invitations" in slack.response_posts(click_url)[0]["text"].lower()


async def test_who_did_what_is_said_one_way(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    """The Slack person for what was done in Slack, nobody for an expiry, the invitee's own
    row for an acceptance, the Gencove user for what was done in Gencove."""
    await bot.command("invite ana@lab.org bob@lab.org cid@lab.org dan@lab.org")
    await bot.posted_results()
    message = slack.last_message("C_GENERAL")
    watcher = bot.bot.watcher()
    await watcher.poll()  # the silent baseline
    ana, bob, cid, dan = (gencove.find(f"{n}@lab.org")[0] for n in ("ana", "bob", "cid", "dan"))
    await bot.click(REVOKE, value=str(bob.id), message=message, block_id=f"inv:{bob.id}")
    await bot.settled()
    gencove.accept(ana)
    gencove.expire(cid)
    jane = gencove.add_user("jane@lab.org", name="Jane Doe", admin=True)
    gencove.revoke(dan, actor=jane)  # in Gencove's web app
    await watcher.poll()
    _, url = await bot.command("list all")
    await slack.wait_for(lambda: slack.response_posts(url))
    blocks = slack.response_posts(url)[0]["blocks"]
    rows = {who.email: block_text(blocks, f"inv:{who.id}") for who in (ana, bob, cid, dan)}
    assert rows["ana@lab.org"].endswith("*ana@lab.org*: accepted · role member")
    assert rows["bob@lab.org"].endswith(f"*bob@lab.org*: revoked by <@{ADMIN}> · role member")
    assert rows["cid@lab.org"].endswith("*cid@lab.org*: expired · role member")
    assert rows["dan@lab.org"].endswith(
        "*dan@lab.org*: revoked in Gencove by Jane Doe · role member"
    )
    assert "Org Admin" not in str(blocks)
