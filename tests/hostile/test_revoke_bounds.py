"""`/gencove revoke` has the bounds of `invite`: a cap, a rate limit, one pending-list read,
and a reply that shows every outcome within Slack's limits."""

from __future__ import annotations

from pathlib import Path

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.faults import Fault, GencoveFaults
from tests.support.harness import BotUnderTest, running_bot, sqlite_url
from tests.support.messages import message_text

LIST = "/api/v2/invitations/"


async def _reply(bot: BotUnderTest, slack: FakeSlack, text: str) -> str:
    _, url = await bot.command(text)
    [reply] = await slack.wait_for(lambda: slack.response_posts(url))
    assert len(reply.get("blocks") or []) <= 50
    for block in reply.get("blocks") or []:
        assert len(block["text"]["text"]) <= 3000
    return message_text(reply)


async def test_more_targets_than_an_invite_may_have_revoke_nothing(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    for n in range(51):
        gencove.add_invitation(f"a{n}@lab.org")
    before = len(gencove.requests)
    text = await _reply(bot, slack, "revoke " + " ".join(f"a{n}@lab.org" for n in range(51)))
    assert "Nothing was revoked" in text
    assert "at most 50" in text
    assert len(gencove.requests) == before  # not one request
    assert all(inv.status == "pending" for inv in gencove.find("a0@lab.org"))


async def test_fifty_targets_are_revoked_with_one_read_of_the_pending_list(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    long = "x" * 50
    emails = [f"{long}{n:02d}@lab.org" for n in range(49)]
    for email in emails:
        gencove.add_invitation(email)
    gencove.add_invitation(emails[0])  # made twice outside Slack: both go
    text = await _reply(bot, slack, "revoke " + " ".join(emails) + " nobody@lab.org")
    assert gencove.count("GET", LIST) == 1, text
    assert gencove.count("DELETE", LIST) == 50
    for email in emails:
        assert f"{email}: revoked." in text
        assert all(inv.status == "revoked" for inv in gencove.find(email))
    assert "nobody@lab.org: no pending invitation, nothing revoked." in text


async def test_revokes_count_against_the_rate_limit(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    for n in range(4):
        gencove.add_invitation(f"r{n}@lab.org")
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_RATE_LIMIT="3/hour") as bot:
        first = await _reply(bot, slack, "revoke r0@lab.org r1@lab.org")
        assert "r0@lab.org: revoked." in first
        assert "r1@lab.org: revoked." in first
        second = await _reply(bot, slack, "revoke r2@lab.org r3@lab.org")
    assert "Nothing was revoked" in second
    assert "you can make 1 more" in second
    assert [inv.status for inv in gencove.find("r2@lab.org")] == ["pending"]


async def test_a_revoke_whose_answer_was_lost_is_reported_as_revoked(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack
) -> None:
    ana = gencove.add_invitation("ana@lab.org")
    gencove_faults.inject("DELETE", LIST, Fault.reset(after_effect=True))
    text = await _reply(bot, slack, f"revoke {ana.id}")
    assert ana.status == "revoked"
    assert "revoked." in text
    assert "already revoked" not in text, [(r.method, r.status) for r in gencove.requests]
    [entry] = await bot.store.read(lambda tx: tx.audit.entries(action="revoke"))
    assert entry.invitation_id == str(ana.id)
