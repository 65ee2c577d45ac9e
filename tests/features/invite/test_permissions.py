"""Who may invite, where to, and how many: each refusal is ephemeral and costs no Gencove call."""

from __future__ import annotations

import re
from pathlib import Path

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.faults import SlackFaults
from tests.support.harness import ADMIN, OUTSIDER, running_bot, sqlite_url


async def test_without_invite_admins_workspace_admins_and_owners_invite(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    slack.add_user("U0OWNER01", name="owen", is_owner=True)
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_ADMINS="") as bot:
        await bot.command("invite ana@lab.org", user="U0OWNER01")
        await bot.command("invite bob@lab.org", user=ADMIN)  # is_admin in the fixture
        await slack.wait_for(lambda: len(slack.messages_in("C_GENERAL")) == 2)
        _, url = await bot.command("list", user=OUTSIDER)
        await slack.wait_for(lambda: slack.response_posts(url))
        assert "workspace's admins and owners" in slack.response_posts(url)[0]["text"]
    assert gencove.count("POST", "/api/v2/invitations/") == 2
    assert gencove.find("cid@lab.org") == []


async def test_addresses_outside_allowed_domains_are_refused_before_anything_is_sent(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), ALLOWED_EMAIL_DOMAINS="lab.org"
    ) as bot:
        answer, _ = await bot.command("invite ana@lab.org eve@evil.com")
    reply = answer.json()
    assert reply["response_type"] == "ephemeral"
    assert "eve@evil.com" in reply["text"]
    assert "lab.org" in reply["text"]
    assert gencove.count("*", "/api/v2/") == 0


async def test_rate_limit_refuses_the_whole_batch_that_would_exceed_it(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_RATE_LIMIT="3/hour") as bot:
        await bot.command("invite a@lab.org b@lab.org")
        await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
        _, url = await bot.command("invite c@lab.org d@lab.org")
        await slack.wait_for(lambda: slack.response_posts(url))
        text = slack.response_posts(url)[0]["text"]
        assert "Nothing was sent" in text
        assert "1 more" in text
    assert gencove.count("POST", "/api/v2/invitations/") == 2


async def test_a_listed_inviter_needs_no_group_lookup(
    gencove: FakeGencove, slack: FakeSlack, slack_faults: SlackFaults, tmp_path: Path
) -> None:
    from tests.faults import SlackFault

    slack_faults.inject("usergroups.users.list", *[SlackFault.error("internal_error")] * 5)
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), INVITE_ADMINS=f"{ADMIN},S0LEADS01"
    ) as bot:
        await bot.command("invite ana@lab.org")
        await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    assert not slack.calls_to("usergroups.users.list")
    assert len(gencove.find("ana@lab.org")) == 1


async def test_group_members_listed_in_invite_admins_may_invite(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    slack.usergroups["S0LEADS01"] = ["U0LEAD001"]
    slack.add_user("U0LEAD001", name="lea")
    async with running_bot(
        gencove, slack, sqlite_url(tmp_path), INVITE_ADMINS="S0LEADS01"
    ) as under_test:
        await under_test.command("invite ana@lab.org", user="U0LEAD001")
        await slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
        _, url = await under_test.command("invite bob@lab.org", user=ADMIN)
        await slack.wait_for(lambda: slack.response_posts(url))
        # Not in the group: the invite becomes a request to the group's one member.
        assert "Asked the inviters" in slack.response_posts(url)[0]["text"]
        await slack.wait_for(lambda: slack.messages_in("D0LEAD001"))
    assert gencove.count("POST", "/api/v2/invitations/") == 1


SETTING_NAME = re.compile(r"\b[A-Z]{3,}_[A-Z_]{3,}\b")  # INVITE_ADMINS and the like


async def test_a_member_is_refused_in_peoples_words_never_a_setting_name(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path)) as bot:
        for text in ("list", "revoke ana@lab.org", "notify here"):
            _, url = await bot.command(text, user=OUTSIDER)
            await slack.wait_for(lambda url=url: slack.response_posts(url))
            said = slack.response_posts(url)[0]["text"]
            assert said == (
                "Only the people who manage Gencove invitations here can do that; ask one of "
                "them, or use `/gencove invite` to ask."
            )
    # Workspace admins invite, and the bot has nowhere to ask them for a member.
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_ADMINS="") as bot:
        _, url = await bot.command("list", user=OUTSIDER)
        _, asked = await bot.command("invite cid@lab.org", user=OUTSIDER)
        await slack.wait_for(lambda: slack.response_posts(url) and slack.response_posts(asked))
        listed, nowhere = slack.response_posts(url)[0], slack.response_posts(asked)[0]
    assert "Only the workspace's admins and owners manage Gencove invitations" in listed["text"]
    assert "Ask one of them directly" in nowhere["text"]
    for said in (listed["text"], nowhere["text"]):
        assert not SETTING_NAME.search(said), said
    assert gencove.count("*", "/api/v2/") == 0
