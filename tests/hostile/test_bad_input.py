"""Arbitrary, huge, unicode and mrkdwn-laden input: always an answer, always escaped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invite_bot.domain.addresses import parse_addresses
from invite_bot.domain.command.grammar import parse_command
from invite_bot.domain.command.types import Help, Invite
from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.invite.modals import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    INVITE_MODAL,
    ROLE_BLOCK,
    ROLE_INPUT,
)
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, validate_blocks
from tests.faults import Fault, GencoveFaults
from tests.support.harness import ADMIN, BotUnderTest, running_bot, sqlite_url
from tests.support.messages import assert_no_raw_specials, message_text
from tests.support.waiting import until

WORDS = [
    "invite",
    "INVITE",
    "list",
    "revoke",
    "accept",
    "notify",
    "help",
    "whoami",
    "unlink",
    "--role",
    "",
]
FRAGMENTS = [
    "<!channel>",
    "<!here|here>",
    "<@U123>",
    "<#C999|general>",
    "&lt;",
    "&amp;",
    "<mailto:ana@lab.org|ana@lab.org>",
    "<http://evil.example|click>",
    "ana@lab.org",
    "Bob@Lab.org",
    "a@b",
    "@",
    "josé@exämple.org",
    "日本@例え.jp",
    ",",
    ";",
    "\n",
    "member",
    "admin",
    "pending",
    "all",
    "here",
    "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "../../user/",
    "%2e%2e%2f",
    "`code`",
    "*bold*",
    "\u202e",
    "🦠",
]
JUNK = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
PART = st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(FRAGMENTS), JUNK)
TEXTS = st.one_of(
    JUNK,
    st.builds(
        lambda word, parts: " ".join([word, *parts]),
        st.sampled_from(WORDS),
        st.lists(PART, max_size=6),
    ),
    st.builds(
        lambda emails, parts: " ".join(["invite", *emails, *parts]),
        st.lists(st.emails(), min_size=1, max_size=3),
        st.lists(st.sampled_from(["--role member", "--role admin", ",", ";"]), max_size=2),
    ),
)


@pytest.fixture
async def open_bot(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), INVITE_RATE_LIMIT="off") as bot:
        yield bot


async def _answer_of(bot: BotUnderTest, text: str) -> str:
    """Send `/gencove text`; return everything the user got back (ack and after)."""
    slack = bot.slack
    watched = ("chat.postMessage", "chat.postEphemeral", "views.open")
    before = {m: len(slack.calls_to(m)) for m in watched}
    answer, url = await bot.command(text)
    assert answer.status == 200, f"{text!r} -> HTTP {answer.status}"
    assert answer.elapsed < 3
    if answer.text.strip():
        reply = answer.json()
        assert reply.get("response_type", "ephemeral") == "ephemeral"
        assert reply["text"].strip()
        assert len(reply["text"]) <= 3000
        assert validate_blocks(reply.get("blocks") or []) == []
        return str(reply["text"])

    def answered() -> bool:
        grew = any(len(slack.calls_to(m)) > before[m] for m in watched)
        return grew or bool(slack.response_posts(url))

    await until(answered, timeout=8)
    await asyncio.sleep(0.05)
    posts = slack.response_posts(url)
    return "\n".join(message_text(p) for p in posts)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=TEXTS)
async def test_any_command_text_gets_an_answer_and_nothing_raw(
    open_bot: BotUnderTest, text: str
) -> None:
    reply = await _answer_of(open_bot, text)
    assert_no_raw_specials(reply)
    assert_no_raw_specials(open_bot.slack.all_text())


@settings(max_examples=300, derandomize=True, deadline=None)
@given(text=TEXTS)
def test_the_grammar_and_the_address_parser_take_any_text(text: str) -> None:
    parsed = parse_command(text)
    if isinstance(parsed, Help) and parsed.unknown_word is not None:
        assert len(parsed.unknown_word) <= 100
    if isinstance(parsed, Invite):
        addresses = parse_addresses(parsed.addresses_text, max_count=50)
        for address in addresses.addresses:
            assert address == address.strip().lower()
            assert "<" not in address
            assert ">" not in address
            assert "@" in address
        assert len(addresses.addresses) == len(set(addresses.addresses))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(text=st.text(max_size=200))
def test_escaping_leaves_no_control_character(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped
    assert ">" not in escaped
    assert escaped.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0


LONG = 10_000


@pytest.mark.parametrize(
    "text",
    [
        "invite " + "x" * LONG,
        "invite " + " ".join(f"user{i}@lab.org" for i in range(LONG // 14)),
        "invite " + ("<!channel>" * (LONG // 10)),
        "invite ana@lab.org --role " + "r" * LONG,
        "frobnicate " + "y" * LONG,
        "revoke " + "z" * LONG,
        "accept " + "t" * LONG,
        "list " + "p" * LONG,
        "notify " + "n" * LONG,
        "é" * LONG,
        "🦠" * LONG,
        "<@U123> " * (LONG // 8),
    ],
    ids=lambda text: text[:14].strip() + f"…{len(text)}",
)
async def test_ten_thousand_characters_get_a_bounded_answer(
    open_bot: BotUnderTest, gencove: FakeGencove, text: str
) -> None:
    reply = await _answer_of(open_bot, text)
    assert reply.strip()
    assert_no_raw_specials(reply)
    assert_no_raw_specials(open_bot.slack.all_text())
    assert gencove.count("POST", "/api/v2/invitations/") == 0


MRKDWN = "<!channel> wake up <@U123> &lt;b&gt; <!here>"


async def _all_escaped(slack: FakeSlack, *replies: str) -> None:
    await asyncio.sleep(0.1)
    for reply in replies:
        assert_no_raw_specials(reply)
    assert_no_raw_specials(slack.all_text())


async def test_gencove_error_text_on_invite_is_escaped(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack
) -> None:
    gencove_faults.inject(
        "POST",
        "/api/v2/invitations/",
        Fault.status(400, body={"email": [MRKDWN], "role": [MRKDWN]}),
    )
    _, url = await bot.command("invite ana@lab.org")
    # Nothing was invited: the inviter alone is told (see features/invite/nothing_new.py).
    [told] = await slack.wait_for(lambda: slack.response_posts(url))
    text = message_text(told)
    assert "not invited" in text
    assert "&lt;!channel&gt; wake up &lt;@U123&gt; &amp;lt;b&amp;gt;" in text
    await _all_escaped(slack)


@pytest.mark.parametrize("status", [400, 403, 500])
async def test_gencove_error_text_on_list_and_revoke_is_escaped(
    bot: BotUnderTest,
    gencove: FakeGencove,
    gencove_faults: GencoveFaults,
    slack: FakeSlack,
    status: int,
) -> None:
    ana = gencove.add_invitation("ana@lab.org")
    body: dict[str, Any] = {"detail": MRKDWN}
    gencove_faults.inject("GET", "/api/v2/invitations/", Fault.status(status, body=body))
    _, list_url = await bot.command("list")
    gencove_faults.inject("DELETE", "/api/v2/invitations/", *[Fault.status(status, body=body)] * 2)
    gencove_faults.inject("GET", "/api/v2/invitations/", *[Fault.status(status, body=body)] * 2)
    _, click_url = await bot.click(REVOKE, value=str(ana.id), block_id=f"inv:{ana.id}")
    await slack.wait_for(
        lambda: slack.response_posts(list_url) and slack.response_posts(click_url), timeout=10
    )
    listed = message_text(slack.response_posts(list_url)[0])
    clicked = message_text(slack.response_posts(click_url)[0])
    assert "Gencove" in listed
    assert "&lt;!channel&gt;" in listed
    assert "&lt;!channel&gt;" in clicked or "not know" in clicked
    await _all_escaped(slack)


async def test_gencove_error_text_on_accept_is_escaped(
    bot: BotUnderTest, gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack
) -> None:
    gencove_faults.inject(
        "GET", "/api/v2/invitations-token/", Fault.status(404, body={"detail": MRKDWN})
    )
    _, url = await bot.command("accept some-token-0123456789")
    await slack.wait_for(lambda: slack.response_posts(url))
    await _all_escaped(slack)


async def test_addresses_and_roles_from_gencove_are_escaped_in_lists(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    gencove.validate = False  # Gencove would not send such an address; the bot must cope
    gencove.add_invitation("x<!channel>&lt;@lab.org", role="<@U123>")
    _, url = await bot.command("list")
    await slack.wait_for(lambda: slack.response_posts(url))
    text = message_text(slack.response_posts(url)[0])
    assert "x&lt;!channel&gt;&amp;lt;@lab.org" in text
    await _all_escaped(slack)


async def test_a_role_from_the_modal_is_escaped_in_the_result(
    bot: BotUnderTest, gencove: FakeGencove, slack: FakeSlack
) -> None:
    option = {"text": {"type": "plain_text", "text": "x"}, "value": "<!channel> <@U123>"}
    await bot.submit(
        INVITE_MODAL,
        {
            ADDRESSES_BLOCK: {ADDRESSES_INPUT: "ana@lab.org, <mailto:bob@lab.org|bob@lab.org>"},
            ROLE_BLOCK: {ROLE_INPUT: {"type": "static_select", "selected_option": option}},
        },
        private_metadata=json.dumps({"channel_id": "C_MODAL"}),
    )
    # Nothing was invited: the inviter alone is told, in a note only they see.
    await slack.wait_for(lambda: "not invited" in slack.all_text())
    assert not slack.messages_in("C_MODAL")
    text = slack.all_text()
    assert "ana@lab.org" in text
    assert "bob@lab.org" in text
    assert "not invited" in text
    await _all_escaped(slack)


async def test_mrkdwn_in_addresses_is_escaped_in_the_refusal(bot: BotUnderTest) -> None:
    # Slack sends `&`, `<`, `>` typed by the user as entities: `a&lt;b` was typed `a<b`
    # and `a&amp;lt;b` was typed `a&lt;b`. Either way the user sees what they typed.
    answer, _ = await bot.command(
        "invite <!channel> a&lt;b@lab.org a&amp;lt;c@lab.org <@U123> <!here|here>"
    )
    reply = answer.json()["text"]
    assert "`&lt;!channel&gt;`" in reply
    assert "`a&lt;b@lab.org`" in reply
    assert "`a&amp;lt`" in reply  # `;` separates addresses
    assert_no_raw_specials(reply)


async def test_slack_encoded_specials_in_a_revoke_are_escaped(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    for text in ("revoke <!channel>@lab.org", "revoke <@U123>", "notify <!channel>"):
        reply = await _answer_of(bot, text)
        assert reply.strip()
        assert_no_raw_specials(reply)
    await _all_escaped(slack)


async def test_an_admin_mention_is_the_only_mention(bot: BotUnderTest, slack: FakeSlack) -> None:
    await bot.command("invite ana@lab.org")
    await slack.wait_for(lambda: slack.messages_in("C_GENERAL"))
    assert f"<@{ADMIN}>" in slack.all_text()
    await _all_escaped(slack)


async def test_a_mailto_whose_label_is_another_address_invites_nobody(
    bot: BotUnderTest, gencove: FakeGencove
) -> None:
    """Slack shows `ana@lab.org`; the link goes to evil@x.org. Nothing is sent."""
    answer, _ = await bot.command("invite <mailto:evil@x.org|ana@lab.org>")
    reply = answer.json()["text"]
    assert "may not be the addresses they look like" in reply
    assert "evil@x.org" in reply
    look_alike = "bob@l\u0430b.org"  # a Cyrillic "a"
    answer, _ = await bot.command(f"invite {look_alike}")
    assert "xn--lb-7kc.org" in answer.json()["text"]
    # refused in the acknowledgement itself, before any work was started
    assert gencove.count("POST", "/api/v2/invitations/") == 0
