"""The Revoke button and `/gencove revoke EMAIL`, end to end over loopback: one DELETE, the
result message updated where it was posted, the real status on a late or double click."""

from __future__ import annotations

import asyncio

from invite_bot.features.reinvite.blocks import REINVITE
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.blocks_text import block_text
from tests.support.harness import ADMIN, BotUnderTest
from tests.support.messages import revoke_buttons
from tests.support.waiting import responses


async def test_revoke_click_deletes_once_and_updates_that_section(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite ana@lab.org bob@lab.org")
    await bot.posted_results()
    message = slack.last_message("C_GENERAL")
    ana = gencove.find("ana@lab.org")[0]
    answer, _ = await bot.click(
        REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}"
    )
    assert answer.status == 200
    await slack.wait_for(lambda: slack.calls_to("chat.update"))
    assert gencove.count("DELETE", "/api/v2/invitations/") == 1
    assert ana.status == "revoked"
    updated = slack.messages[(message.channel, message.ts)]
    section = next(b for b in updated.blocks if b.get("block_id") == f"inv:{ana.id}")
    assert "revoked" in section["text"]["text"]
    assert f"<@{ADMIN}>" in section["text"]["text"]
    # Revoke is gone; the revoked row offers Re-invite instead.
    assert section["accessory"]["action_id"] == REINVITE
    # bob's row keeps its button
    assert len(revoke_buttons(updated.blocks)) == 1


async def test_double_click_revokes_nothing_twice_and_shows_real_status(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite ana@lab.org")
    await bot.posted_results()
    message = slack.last_message("C_GENERAL")
    ana = gencove.find("ana@lab.org")[0]
    clicks = [
        bot.click(REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}")
        for _ in range(2)
    ]
    results = await asyncio.gather(*clicks)
    assert all(r[0].status == 200 for r in results)

    # the second click gets a note that it was already revoked
    def notes() -> list[dict]:
        return [p for _, url in results for p in slack.response_posts(url)]

    await slack.wait_for(lambda: any("already revoked" in p.get("text", "") for p in notes()))
    assert gencove.count("DELETE", "/api/v2/invitations/") == 1


async def test_click_on_invitation_accepted_meanwhile_shows_accepted(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite ana@lab.org")
    await bot.posted_results()
    message = slack.last_message("C_GENERAL")
    ana = gencove.find("ana@lab.org")[0]
    gencove.accept(ana)
    _, url = await bot.click(
        REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}"
    )
    notes = await responses(slack, url)
    assert "already accepted" in notes[0]["text"]
    await slack.wait_for(lambda: slack.calls_to("chat.update"))
    updated = slack.messages[(message.channel, message.ts)]
    assert "accepted" in block_text(updated.blocks, f"inv:{ana.id}")
    assert not revoke_buttons(updated.blocks)
    assert ana.status == "accepted"


async def test_revoke_command_by_email_revokes_and_updates_the_result_message(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite ana@lab.org")
    await bot.posted_results()
    message = slack.last_message("C_GENERAL")
    _, url = await bot.command("revoke ana@lab.org")
    notes = await responses(slack, url)
    assert "revoked." in notes[0]["text"]
    assert gencove.find("ana@lab.org")[0].status == "revoked"
    await slack.wait_for(lambda: slack.calls_to("chat.update"))
    ana = gencove.find("ana@lab.org")[0]
    updated = slack.messages[(message.channel, message.ts)]
    assert "revoked" in block_text(updated.blocks, f"inv:{ana.id}")
    entries = await bot.store.read(lambda tx: tx.audit.entries(action="revoke"))
    assert entries[0].actor_slack_id == ADMIN


async def test_revoke_on_a_message_posted_through_response_url_replaces_it(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    slack.not_in_channel.add("C_PRIVATE")
    _, url = await bot.command("invite ana@lab.org bob@lab.org", channel="C_PRIVATE")
    posted = (await responses(slack, url))[0]
    ana = gencove.find("ana@lab.org")[0]
    _, click_url = await bot.click(
        REVOKE,
        value=str(ana.id),
        channel_id="C_PRIVATE",
        message={"ts": "1.000001", "blocks": posted["blocks"], "text": posted["text"]},
        block_id=f"inv:{ana.id}",
    )
    replaced = (await responses(slack, click_url))[0]
    assert replaced["replace_original"] is True
    section = next(b for b in replaced["blocks"] if b.get("block_id") == f"inv:{ana.id}")
    assert "revoked" in section["text"]["text"]
    # Revoke is gone; the revoked row offers Re-invite instead.
    assert section["accessory"]["action_id"] == REINVITE
    assert len(revoke_buttons(replaced["blocks"])) == 1  # bob's
    assert gencove.count("DELETE", "/api/v2/invitations/") == 1


async def test_a_revoke_from_slack_is_announced_in_other_subscribed_channels(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:

    await bot.command("invite ana@lab.org")
    await bot.posted_results()
    await bot.store.write(lambda tx: tx.subscriptions.add("C_NEWS", ADMIN))
    await bot.store.write(lambda tx: tx.subscriptions.add("C_GENERAL", ADMIN))
    await bot.command("revoke ana@lab.org")
    await slack.wait_for(lambda: gencove.find("ana@lab.org")[0].status == "revoked")
    await asyncio.sleep(0.2)
    await bot.bot.watcher().deliver()
    news = [m.text or "" for m in slack.messages_in("C_NEWS")]
    assert len(news) == 1
    assert "was revoked by <@" in news[0]
    assert len(slack.messages_in("C_GENERAL")) == 1  # only the result message
