"""`/gencove invite` and the result message with its Revoke buttons, end to end over loopback
(the clicks on them: tests/features/revoke/)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.faults import Fault, GencoveFaults, SlackFault, SlackFaults
from tests.support.blocks_text import block_text, blocks_text, text_of
from tests.support.harness import ADMIN, OUTSIDER, BotUnderTest, running_bot, sqlite_url
from tests.support.messages import revoke_buttons
from tests.support.waiting import responses


async def test_invite_creates_one_invitation_and_posts_one_message_with_revoke(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    answer, _ = await bot.command("invite ana@lab.org")
    assert answer.status == 200
    posts = await bot.posted_results()
    assert gencove.count("POST", "/api/v2/invitations/") == 1
    assert len(gencove.find("ana@lab.org", status="pending")) == 1
    assert len(posts) == 1
    message = slack.last_message("C_GENERAL")
    buttons = revoke_buttons(message.blocks)
    assert len(buttons) == 1
    assert buttons[0]["style"] == "danger"
    assert "confirm" in buttons[0]
    ana = gencove.find("ana@lab.org")[0]
    assert "ana@lab.org" in block_text(message.blocks, f"inv:{ana.id}")


async def test_ack_returns_while_gencove_still_holds_the_request(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    gencove.hold = asyncio.Event()
    answer, _ = await bot.command("invite ana@lab.org")
    assert answer.status == 200
    # The job's first Gencove request (its read of the pending list) is held at Gencove.
    await asyncio.wait_for(_until(lambda: gencove.count("GET", "/api/v2/invitations/") == 1), 20)
    assert not slack.calls_to("chat.postMessage")  # the result is still on its way
    gencove.hold.set()
    await bot.posted_results()


async def _until(predicate) -> None:  # type: ignore[no-untyped-def]
    while not predicate():
        await asyncio.sleep(0.01)


async def test_forged_signature_gets_401_and_no_gencove_call(
    bot: BotUnderTest, gencove: FakeGencove
) -> None:
    answer, _ = await bot.command("invite ana@lab.org", signature="v0=" + "0" * 64)
    assert answer.status == 401
    stale, _ = await bot.command("invite ana@lab.org", timestamp=1_600_000_000)
    assert stale.status == 401
    await asyncio.sleep(0.2)
    assert gencove.count("*", "/api/v2/") == 0


async def test_user_who_is_not_an_inviter_is_refused_without_gencove_call(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    # A member's invite asks the inviters instead (tests/features/requests/test_requests.py).
    _, url = await bot.command("invite ana@lab.org", user=OUTSIDER)
    notes = await responses(slack, url)
    assert "Asked the inviters" in notes[0]["text"]
    assert notes[0].get("response_type", "ephemeral") == "ephemeral"
    for text in ("list", "revoke ana@lab.org", "notify here"):
        _, url = await bot.command(text, user=OUTSIDER)
        await responses(slack, url)
    assert gencove.count("*", "/api/v2/") == 0


async def test_malformed_addresses_are_all_listed_and_nothing_is_sent(
    bot: BotUnderTest, gencove: FakeGencove
) -> None:
    answer, _ = await bot.command("invite ana@lab.org, not-an-email; bob@ <@U123>")
    assert answer.status == 200
    reply = answer.json()
    assert reply["response_type"] == "ephemeral"
    for bad in ("not-an-email", "bob@", "&lt;@U123&gt;"):
        assert bad in reply["text"]
    await asyncio.sleep(0.1)
    assert gencove.count("*", "/api/v2/") == 0


async def test_more_than_fifty_addresses_are_refused_with_the_way_to_send_more(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_BULK_MAX="2500") as bot:
        addresses = " ".join(f"user{i}@lab.org" for i in range(51))
        answer, _ = await bot.command(f"invite {addresses}")
    reply = answer.json()
    assert reply["response_type"] == "ephemeral"
    assert reply["text"] == (
        "Nothing was sent: that is 51 addresses and one command takes at most 50. A longer "
        "list, up to 2,500, goes in the form: type `/gencove invite` alone, then paste the "
        "list or attach a CSV file (or send either to the bot in a direct message)."
    )
    assert gencove.count("*", "/api/v2/") == 0


async def test_fifty_addresses_fit_in_one_message(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    addresses = " ".join(f"user{i}@lab.org" for i in range(50))
    await bot.command(f"invite {addresses}")
    await bot.posted_results()
    assert gencove.count("POST", "/api/v2/invitations/") == 50
    message = slack.last_message("C_GENERAL")
    assert len(message.blocks) <= 50
    assert "/gencove list" in text_of(message.blocks[-1])  # the closing hint


async def test_an_invite_that_makes_nothing_new_is_told_privately_and_posts_nothing(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    outside = gencove.add_invitation("bob@lab.org")  # made in Gencove's web app
    await bot.command("invite ana@lab.org")
    [posted] = await bot.posted_results()
    first = slack.last_message("C_GENERAL")
    _, url = await bot.command("invite ana@lab.org bob@lab.org")
    [reply] = await responses(slack, url)
    await bot.settled()
    assert len(gencove.find("ana@lab.org")) == len(gencove.find("bob@lab.org")) == 1
    assert slack.calls_to("chat.postMessage") == [posted]  # nothing new in the channel
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    text = blocks_text(reply["blocks"])
    assert text.startswith("No new invitation was sent, so nothing was posted in the channel:")
    link = f"{slack.base_url}/archives/C_GENERAL/p{first.ts.replace('.', '')}"
    assert (
        f"*ana@lab.org* already has a pending invitation (sent by <@{ADMIN}>, role member, "
        f"expires <!date^"
    ) in text
    assert f"<{link}|see the message about it>." in text
    assert "*bob@lab.org* already has a pending invitation (made outside Slack" in text
    assert outside.id
    assert "see the message" not in text.split("bob@lab.org", 1)[1]  # no message to link
    assert REVOKE not in str(reply["blocks"])  # nothing that could go stale


async def test_an_address_already_pending_beside_a_new_one_is_shown_in_the_post(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    existing = gencove.add_invitation("ana@lab.org")
    await bot.command("invite ana@lab.org bob@lab.org")
    await bot.posted_results()
    assert len(gencove.find("ana@lab.org")) == 1
    message = slack.last_message("C_GENERAL")
    assert block_text(message.blocks, "summary") == (
        f"<@{ADMIN}> invited 1 of 2 addresses (1 already invited)."
    )
    assert "already invited" in block_text(message.blocks, f"inv:{existing.id}")


async def test_gencove_validation_error_is_shown_for_that_address(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack
) -> None:
    refusal = {"email": ["Enter a valid email address."]}
    gencove_faults.inject("POST", "/api/v2/invitations/", Fault.status(400, refusal))
    await bot.command("invite ana@lab.org bob@lab.org")
    await bot.posted_results()
    text = block_text(slack.last_message("C_GENERAL").blocks, "row:0")
    assert "not invited" in text
    assert "Enter a valid email address" in text


async def test_an_unknown_role_is_refused_privately_before_anything_is_sent(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    answer, url = await bot.command("invite zed@lab.org --role superuser")
    assert answer.status == 200
    [reply] = await responses(slack, url)
    assert reply.get("response_type", "ephemeral") == "ephemeral"
    roles = sorted(gencove.roles)
    assert reply["text"].startswith("Nothing was sent: `superuser` is not one of the organization")
    assert all(f"`{role}`" in reply["text"] for role in roles)
    assert "leave out `--role`" in reply["text"]
    await bot.settled()
    assert gencove.count("POST", "/api/v2/invitations/") == 0
    assert slack.messages_in("C_GENERAL") == []  # nothing in the channel


async def test_a_role_is_read_as_the_organization_spells_it_and_a_new_one_is_found(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    role = sorted(gencove.roles)[0]
    await bot.command(f"invite ana@lab.org --role {role.upper()}")
    await bot.posted_results()
    assert gencove.find("ana@lab.org")[0].role == role
    gencove.roles["curator"] = []  # added in Gencove since the bot read the roles
    await bot.command("invite bob@lab.org --role curator")
    await bot.posted_results(2)
    assert gencove.find("bob@lab.org")[0].role == "curator"


async def test_role_that_is_not_a_role_name_gets_usage_and_nothing_is_sent(
    bot: BotUnderTest, gencove: FakeGencove
) -> None:
    answer, _ = await bot.command("invite ana@lab.org --role <!channel>")
    reply = answer.json()
    assert "&lt;!channel&gt;" in reply["text"]
    assert "<!channel>" not in reply["text"]
    assert gencove.count("*", "/api/v2/") == 0


async def test_gencove_server_error_and_timeout_end_in_a_clear_message(
    gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack, tmp_path: Path
) -> None:
    gencove_faults.inject("POST", "/api/v2/invitations/", Fault.status(500))
    gencove_faults.inject("POST", "/api/v2/invitations/", *[Fault.hang(3)] * 4)
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), GENCOVE_TIMEOUT="0.3", GENCOVE_MAX_RETRIES="1"
    ) as bot:
        _, one = await bot.command("invite ana@lab.org")
        _, two = await bot.command("invite bob@lab.org")
        # Nothing was invited: each inviter is told privately, the channel hears nothing.
        replies = [(await responses(slack, url))[0] for url in (one, two)]
        await bot.settled()
        assert not slack.calls_to("chat.postMessage")
    first, second = (blocks_text(reply["blocks"]) for reply in replies)
    assert "not invited" in first
    assert "Gencove had a problem" in first
    assert "not invited" in second
    assert "did not answer in time" in second
    assert gencove.find("ana@lab.org") == []
    assert len(gencove.find("bob@lab.org")) <= 1


async def test_slack_429_on_post_message_is_retried(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    slack_faults.inject("chat.postMessage", SlackFault.rate_limited(retry_after=0))
    await bot.command("invite ana@lab.org")
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"), timeout=8)
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.messages_in("C_GENERAL")) == 1


async def test_bot_not_in_channel_falls_back_to_response_url(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    slack.not_in_channel.add("C_PRIVATE")
    _, url = await bot.command("invite ana@lab.org", channel="C_PRIVATE")
    posts = await responses(slack, url)
    assert posts[0]["response_type"] == "in_channel"
    assert revoke_buttons(posts[0]["blocks"])


async def test_same_command_delivered_twice_has_one_effect(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    from invite_bot.playground.slack import slash_command_body

    body = slash_command_body(
        "invite ana@lab.org",
        user_id=ADMIN,
        response_url=slack.new_response_url(),
        trigger_id=slack.new_trigger_id(),
    )
    first = await bot.send(body)
    second = await bot.send(body, retry_num=1, retry_reason="http_timeout")
    assert first.status == second.status == 200
    await bot.posted_results()
    await asyncio.sleep(0.2)
    assert gencove.count("POST", "/api/v2/invitations/") == 1
    assert len(slack.calls_to("chat.postMessage")) == 1


async def test_an_invitation_revoked_in_gencove_since_is_invited_again(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite ana@lab.org")
    await bot.posted_results()
    first = gencove.find("ana@lab.org")[0]
    gencove.revoke(first.id)  # in Gencove's web app; the bot has not polled since
    await bot.command("invite ana@lab.org")
    await bot.posted_results(2)
    pending = gencove.find("ana@lab.org", status="pending")
    assert len(pending) == 1
    assert pending[0].id != first.id


async def test_the_header_keeps_what_was_done_and_each_row_its_current_status(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    await bot.command("invite ana@lab.org bob@lab.org cid@lab.org")
    await bot.posted_results()
    message = slack.last_message("C_GENERAL")
    assert block_text(message.blocks, "summary") == f"<@{ADMIN}> invited 3 addresses."
    watcher = bot.bot.watcher()
    await watcher.poll()  # the silent baseline
    ana, bob = gencove.find("ana@lab.org")[0], gencove.find("bob@lab.org")[0]
    gencove.accept(ana)
    await bot.click(REVOKE, value=str(bob.id), message=message, block_id=f"inv:{bob.id}")
    await bot.settled()
    await watcher.poll()

    def current() -> str:
        return blocks_text(slack.messages[(message.channel, message.ts)].blocks)

    await slack.wait_for(lambda: "accepted" in current())
    updated = slack.messages[(message.channel, message.ts)].blocks
    assert block_text(updated, "summary") == f"<@{ADMIN}> invited 3 addresses."
    assert "accepted" in block_text(updated, f"inv:{ana.id}")
    assert f"revoked by <@{ADMIN}>" in block_text(updated, f"inv:{bob.id}")
    cid = gencove.find("cid@lab.org")[0]
    assert "invited" in block_text(updated, f"inv:{cid.id}")
