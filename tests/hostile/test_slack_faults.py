"""Slack answering 429 and 5xx: the bot retries, or tells the user; a result is never dropped."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import timedelta

from invite_bot.features.invite.modals import ADDRESSES_BLOCK, ADDRESSES_INPUT, INVITE_MODAL
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.faults import SlackFault, SlackFaults
from tests.support.harness import ADMIN, BotUnderTest
from tests.support.messages import message_text, revoke_buttons, section_for
from tests.support.waiting import until

SEED = 4242


async def _one_message(slack: FakeSlack, channel: str, timeout: float = 10) -> str:
    await slack.wait_for(lambda: slack.messages_in(channel), timeout=timeout)
    return message_text(slack.messages_in(channel)[0])


async def test_post_message_answering_429_then_503_is_retried(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    slack_faults.inject(
        "chat.postMessage", SlackFault.rate_limited(retry_after=0), SlackFault.status(503)
    )
    _, url = await bot.command("invite ana@lab.org bob@lab.org")
    text = await _one_message(slack, "C_GENERAL")
    assert "ana@lab.org" in text
    assert "bob@lab.org" in text
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 503, 200]
    await asyncio.sleep(0.2)
    assert len(slack.messages_in("C_GENERAL")) == 1
    assert slack.response_posts(url) == []
    assert gencove.count("POST", "/api/v2/invitations/") == 2


async def test_update_answering_429_and_500_on_a_revoke_click_is_retried(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    await bot.command("invite ana@lab.org")
    await _one_message(slack, "C_GENERAL")
    message = slack.messages_in("C_GENERAL")[0]
    ana = gencove.find("ana@lab.org")[0]
    slack_faults.inject(
        "chat.update", SlackFault.rate_limited(retry_after=0), SlackFault.status(500)
    )
    _, url = await bot.click(
        REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}"
    )
    await slack.wait_for(lambda: any(c.ok for c in slack.calls_to("chat.update")), timeout=10)
    line = section_for(slack.messages[(message.channel, message.ts)], "ana@lab.org") or ""
    assert "revoked" in line
    assert f"<@{ADMIN}>" in line
    assert ana.status == "revoked"
    assert slack.response_posts(url) == []
    assert gencove.count("DELETE", "/api/v2/invitations/") == 1


async def test_slack_failing_30_percent_still_shows_every_result(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    rng = random.Random(SEED)
    slack_faults.fail_rate(
        0.3,
        seed=SEED,
        methods=["chat.postMessage", "chat.update"],
        faults=[
            SlackFault.rate_limited(retry_after=0),
            SlackFault.status(500),
            SlackFault.status(503),
        ],
    )
    invites = {
        f"CSLK{n:02d}": [f"s{n:02d}-{k}@lab.org" for k in range(rng.randint(1, 3))]
        for n in range(10)
    }
    sent = await asyncio.gather(
        *(bot.command("invite " + " ".join(a), channel=c) for c, a in invites.items())
    )
    urls = {channel: url for channel, (_, url) in zip(invites, sent, strict=True)}

    def shown(channel: str) -> int:
        return len(slack.messages_in(channel)) + len(slack.response_posts(urls[channel]))

    await until(lambda: all(shown(c) for c in invites), timeout=20)
    for channel, addresses in invites.items():
        assert shown(channel) == 1
        if slack.messages_in(channel):
            text = message_text(slack.messages_in(channel)[0])
        else:  # every retry failed: the inviter was told, with the result
            text = message_text(slack.response_posts(urls[channel])[0])
            assert "Slack did not take the result message" in text
        for email in addresses:
            assert email in text
            assert len(gencove.find(email)) == 1

    # revoke one address of each posted message: each message ends up showing it
    clicks = []
    for channel in invites:
        for message in slack.messages_in(channel):
            button = revoke_buttons(message.blocks)[0]
            clicks.append(
                (
                    message,
                    button["value"],
                    await bot.click(
                        REVOKE,
                        value=button["value"],
                        message=message,
                        block_id=f"inv:{button['value']}",
                    ),
                )
            )
    assert clicks

    def revoked_shown(message_key: tuple[str, str], invitation_id: str) -> bool:
        blocks = slack.messages[message_key].blocks or []
        return not any(b["value"] == invitation_id for b in revoke_buttons(blocks))

    await until(
        lambda: all(revoked_shown((m.channel, m.ts), inv) for m, inv, _ in clicks), timeout=20
    )
    for _, invitation_id, _ in clicks:
        assert gencove.get_invitation(invitation_id).status == "revoked"
    assert gencove.count("DELETE", "/api/v2/invitations/") == len(clicks)


async def test_slack_refusing_the_result_tells_the_inviter_through_response_url(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    slack_faults.inject("chat.postMessage", *[SlackFault.status(503)] * 10)
    _, url = await bot.command("invite ana@lab.org bob@lab.org")
    await slack.wait_for(lambda: slack.response_posts(url), timeout=15)
    [note] = slack.response_posts(url)
    text = message_text(note)
    assert note.get("response_type", "ephemeral") == "ephemeral"
    assert "Slack did not take the result message" in text
    assert "service_unavailable" in text
    for email in ("ana@lab.org", "bob@lab.org"):
        assert section_for_note(note, email)
        assert len(gencove.find(email, status="pending")) == 1
    assert slack.messages_in("C_GENERAL") == []
    await _until_job(bot, finished=True)


async def test_a_result_that_reached_nobody_is_delivered_when_slack_is_back(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    bot.bot.jobs.holding.lease = timedelta(seconds=1)
    # the channel post (Slack's "internal_error" may hide a post that landed: the bot looks
    # in the history, finds none, posts once more), then the direct message of last resort
    slack_faults.inject("chat.postMessage", *[SlackFault.error("internal_error")] * 3)
    slack_faults.inject("response_url", SlackFault.status(500))
    slack_faults.inject("chat.postEphemeral", SlackFault.error("internal_error"))
    await bot.command("invite ana@lab.org")
    await slack.wait_for(lambda: slack.calls_to("chat.postEphemeral"), timeout=15)
    await until(lambda: not bot.bot.jobs.holding.running)  # the attempt is over
    assert slack.messages_in("C_GENERAL") == []
    assert len(slack.calls_to("conversations.history")) == 2  # looked before each re-post
    await _until_job(bot, finished=False)  # kept, to be delivered later

    await asyncio.sleep(1.1)  # its lease runs out: nobody works on it any more
    assert await bot.bot.jobs.resume() == 1
    text = await _one_message(slack, "C_GENERAL")
    assert "ana@lab.org" in text
    assert len(gencove.find("ana@lab.org")) == 1
    assert gencove.count("POST", "/api/v2/invitations/") == 1
    await _until_job(bot, finished=True)


def section_for_note(note: dict, email: str) -> bool:  # type: ignore[type-arg]
    return any(email in json.dumps(b) for b in note.get("blocks") or [])


async def _until_job(bot: BotUnderTest, *, finished: bool) -> None:
    """Wait until the one invite job is (or, for `finished=False`, stays) unfinished."""
    for _ in range(200):
        job = await bot.store.read(lambda tx: tx.jobs.get(1))
        assert job is not None
        if (job.finished_at is not None) == finished:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"job finished={job.finished_at}, expected finished={finished}")


async def test_a_revoke_click_whose_message_cannot_be_updated_still_tells_the_clicker(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    await bot.command("invite ana@lab.org")
    await _one_message(slack, "C_GENERAL")
    message = slack.messages_in("C_GENERAL")[0]
    ana = gencove.find("ana@lab.org")[0]
    slack_faults.inject("chat.update", *[SlackFault.error("internal_error")] * 5)
    _, url = await bot.click(
        REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}"
    )
    await slack.wait_for(lambda: slack.calls_to("chat.update"))
    await asyncio.sleep(0.5)
    assert ana.status == "revoked"
    assert slack.response_posts(url), "revoked, but the clicker was told nothing"


async def test_a_modal_invite_from_a_channel_the_bot_is_not_in_reaches_the_inviter_by_dm(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults
) -> None:
    slack.not_in_channel.add("C_PRIVATE")
    slack_faults.inject("chat.postEphemeral", SlackFault.error("channel_not_found"))
    answer = await bot.submit(
        INVITE_MODAL,
        {ADDRESSES_BLOCK: {ADDRESSES_INPUT: "ana@lab.org"}},
        private_metadata=json.dumps({"channel_id": "C_PRIVATE"}),
    )
    assert answer.status == 200
    dm_channel = "D" + ADMIN[1:]  # the stand-in answers a post to a user in their DM
    await slack.wait_for(lambda: slack.messages_in(dm_channel))
    dms = slack.messages_in(dm_channel)
    assert "ana@lab.org" in json.dumps(dms[0].blocks)
    assert len(gencove.find("ana@lab.org")) == 1
