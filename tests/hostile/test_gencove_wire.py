"""A hostile Gencove, through the bot (issue 15): what a person in Slack sees when Gencove
sends a listing that never ends, drips its answers, is under maintenance, cuts off the
answer to a create that worked, or when a click carries a path instead of an id.

The never-ending listing runs against the real `invite-bot serve` process with its
watcher; the rest use the bot in-process (`running_bot`), over loopback like Slack.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove, RecordedRequest
from invite_bot.playground.slack import FakeSlack, deliver, slash_command_body
from tests.faults import Fault, GencoveFaults
from tests.support.harness import (
    ADMIN,
    OUTSIDER,
    SIGNING_SECRET,
    BotUnderTest,
    bot_environment,
    running_bot,
    sqlite_url,
)
from tests.support.messages import message_text, revoke_buttons, section_for
from tests.support.processes import start_bot_process, stop_bot_process
from tests.support.secrets import assert_no_secret
from tests.support.waiting import until

INVITATIONS = "/api/v2/invitations/"
NOTIFY = "C0NOTIFY1"


async def test_a_listing_that_never_ends_is_answered_and_the_watcher_polls_on(
    gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack, tmp_path: Path
) -> None:
    gencove_faults.inject("GET", INVITATIONS, Fault.page_loop().times(0))  # every listing loops
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), INVITE_NOTIFY_CHANNEL=NOTIFY)
    bot = await start_bot_process(env, tmp_path)
    try:
        async with aiohttp.ClientSession() as session:
            url = slack.new_response_url()
            body = slash_command_body(
                "revoke nobody@lab.org",
                user_id=ADMIN,
                response_url=url,
                trigger_id=slack.new_trigger_id(),
            )
            answer = await deliver(session, bot.url + "/slack/events", body, SIGNING_SECRET)
            assert answer.status == 200
            replies = await slack.wait_for(lambda: slack.response_posts(url), timeout=30)
        assert "nobody@lab.org: not revoked." in replies[0]["text"]
        assert "Gencove sent a list that does not end" in replies[0]["text"]
        # the watcher's polls met the loop too, and each gave up on it
        await until(lambda: len(_abandoned(bot.output())) >= 3, timeout=30)

        gencove_faults.clear_faults()  # Gencove mends: the watcher's next polls work
        mended = len(gencove.requests)
        # two pending reads after mending: the silent baseline poll, and one after it
        await until(lambda: len(_pending_reads(gencove, since=mended)) >= 2, timeout=30)
        gencove.add_invitation("outside@lab.org")
        notices = await slack.wait_for(lambda: slack.messages_in(NOTIFY), timeout=30)
        assert "outside@lab.org" in message_text(notices[0])
    finally:
        await stop_bot_process(bot)
    output = bot.output()
    assert_no_secret(output, gencove)
    assert all("repeats a page already read" in line for line in _abandoned(output))
    assert len(slack.response_posts(url)) == 1


def _abandoned(output: str) -> list[str]:
    """The paging module's one line per listing it gave up on."""
    return [line for line in output.splitlines() if "gencove listing of" in line]


def _pending_reads(gencove: FakeGencove, *, since: int) -> list[RecordedRequest]:
    return [
        r
        for r in gencove.requests[since:]
        if r.path == INVITATIONS and r.query.get("status") == "pending" and r.status == 200
    ]


async def _settled_row(bot: BotUnderTest, email: str) -> str:
    slack = bot.slack
    await bot.posted_results()

    def row() -> str | None:
        line = section_for(slack.messages_in("C_GENERAL")[0], email)
        return line if line and "inviting…" not in line else None

    return await slack.wait_for(row, timeout=15)


@pytest.mark.parametrize(
    "answer",
    [
        Fault.truncated(abort=False),
        Fault.truncated(abort=True),
        Fault.status(201, body={"id": 1}, after_effect=True),
    ],
    ids=["cut JSON", "connection cut", "wrong shape"],
)
async def test_an_invitation_whose_answer_was_cut_off_is_shown_as_invited(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, answer: Fault
) -> None:
    gencove_faults.inject("POST", INVITATIONS, answer)

    await bot.command("invite ana@lab.org")

    line = await _settled_row(bot, "ana@lab.org")
    assert ": invited" in line, line
    [made] = gencove.find("ana@lab.org")
    buttons = revoke_buttons(bot.slack.messages_in("C_GENERAL")[0].blocks)
    assert [b["value"] for b in buttons] == [str(made.id)]
    assert gencove.count("POST", INVITATIONS) == 1


async def test_maintenance_is_said_in_one_escaped_sentence_without_a_retry_storm(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults
) -> None:
    notice = Fault.maintenance("Upgrading <!channel> & co.", "15:00 UTC")
    gencove_faults.inject("POST", INVITATIONS, *[notice] * 5)

    _, url = await bot.command("invite ana@lab.org")

    # Nothing was invited: the inviter alone is told, the channel hears nothing.
    [told] = await bot.slack.wait_for(lambda: bot.slack.response_posts(url), timeout=15)
    line = next(x for x in message_text(told).splitlines() if "*ana@lab.org*" in x)
    assert not bot.slack.messages_in("C_GENERAL")
    assert "not invited" in line
    expected = "Gencove is under maintenance: Upgrading &lt;!channel&gt; &amp; co. (back around"
    assert expected in line, line
    assert "15:00 UTC)" in line
    assert gencove.count("POST", INVITATIONS) == 1
    assert gencove.find("ana@lab.org") == []


async def test_a_revoke_click_whose_value_is_a_path_sends_nothing_to_gencove(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    _, url = await bot.click(REVOKE, value="../../user/", block_id="inv:x")

    replies = await slack.wait_for(lambda: slack.response_posts(url), timeout=10)

    assert "not revoked" in message_text(replies[0])
    assert "That is not a Gencove invitation id." in message_text(replies[0])
    assert gencove.count("DELETE") == 0
    assert all(r.path.startswith("/api/v2/") for r in gencove.requests)


async def test_slow_listings_do_not_hold_up_someone_elses_accept(
    gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack, tmp_path: Path
) -> None:
    gencove.seed(40, 40)  # list pages of some kilobytes, dripped a byte at a time
    invitation = gencove.add_invitation("olga@lab.org")
    gencove_faults.inject("GET", INVITATIONS, Fault.drip(interval=0.05, chunk=1).times(0))
    async with running_bot(
        gencove,
        slack,
        sqlite_url(tmp_path),
        GENCOVE_MAX_CONCURRENCY="4",
        GENCOVE_TIMEOUT="30",
        INVITE_RATE_LIMIT="off",
    ) as bot:
        try:
            lists = [(await bot.command("list"))[1] for _ in range(6)]
            await until(lambda: gencove.count("GET", INVITATIONS) >= 3, timeout=20)

            _, accept_url = await bot.command(f"accept {invitation.token}", user=OUTSIDER)
            cards = await slack.wait_for(lambda: slack.response_posts(accept_url), timeout=20)

            assert gencove.organization.name in message_text(cards[0])
            assert not any(slack.response_posts(url) for url in lists)  # still dripping
            assert gencove.count("GET", INVITATIONS) == 3  # 3 of 4 slots, never all 4
        finally:
            gencove_faults.clear_faults()
            gencove_faults.stop_drips()
        await slack.wait_for(lambda: all(slack.response_posts(url) for url in lists), timeout=60)
    for url in lists:
        assert len(slack.response_posts(url)) == 1


async def test_a_revoke_whose_answer_was_lost_after_it_took_effect_shows_as_revoked(
    gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), GENCOVE_TIMEOUT="0.5", GENCOVE_MAX_RETRIES="1"
    ) as bot:
        await bot.command("invite ana@lab.org")
        await _settled_row(bot, "ana@lab.org")
        message = slack.messages_in("C_GENERAL")[0]
        [ana] = gencove.find("ana@lab.org")
        # Gencove revokes it, but every answer to the DELETE is lost
        gencove_faults.inject("DELETE", INVITATIONS, Fault.hang(5, after_effect=True).times(0))

        _, url = await bot.click(
            REVOKE, value=str(ana.id), message=message, block_id=f"inv:{ana.id}"
        )

        def shown_revoked() -> bool:
            line = section_for(slack.messages[(message.channel, message.ts)], "ana@lab.org")
            return "revoked" in (line or "")

        await slack.wait_for(shown_revoked, timeout=30)
        gencove_faults.clear_faults()
    assert ana.status == "revoked"
    for reply in slack.response_posts(url):  # no "failed" for a revoke that happened
        assert "not revoked" not in message_text(reply)
