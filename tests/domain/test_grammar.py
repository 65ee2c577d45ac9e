"""The `/gencove` command language and the mrkdwn text helpers it relies on."""

from __future__ import annotations

import html
import re
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invite_bot.domain.command.grammar import decode_slack_text, parse_command
from invite_bot.domain.command.help import USAGE, help_text, usage_message
from invite_bot.domain.command.refs import classify_revoke_target, invitation_token
from invite_bot.domain.command.types import (
    STATUSES,
    Accept,
    Command,
    Help,
    Invite,
    InviteModal,
    Link,
    ListInvitations,
    Notify,
    Revoke,
    RevokeByEmail,
    RevokeById,
    Unlink,
    Usage,
    WhoAmI,
)
from invite_bot.domain.text import describe_duration, escape_mrkdwn, human_list, truncate

INVITATION_ID = "6f9619ff-8b86-d011-b42d-00c04fc964ff"


def usage_problem(text: str, subcommand: str) -> str:
    command = parse_command(text)
    assert isinstance(command, Usage), command
    assert command.subcommand == subcommand
    return command.problem


# -- help ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   ", "help", "HELP", "?", "-h", "--help", "—help", "help me"]
)
def test_help_words_and_empty_text_show_help(text: str) -> None:
    assert parse_command(text) == Help(unknown_word=None)


def test_unknown_word_is_named_in_help() -> None:
    assert parse_command("frobnicate the lab") == Help(unknown_word="frobnicate")


def test_unknown_word_is_truncated_to_forty_characters() -> None:
    command = parse_command("x" * 500)
    assert isinstance(command, Help)
    assert command.unknown_word is not None
    assert len(command.unknown_word) == 40
    assert command.unknown_word.endswith("…")


def test_help_lists_every_subcommand_with_an_example_in_order() -> None:
    assert list(USAGE) == [
        "invite",
        "requests",
        "list",
        "revoke",
        "reinvite",
        "accept",
        "link",
        "unlink",
        "whoami",
        "notify",
        "audit",
        "help",
    ]
    text = help_text(None)
    positions = [text.index(line) for line in USAGE.values()]
    assert positions == sorted(positions)
    for line in USAGE.values():
        assert "Example: `/gencove " in line


def test_help_names_the_unknown_word_first() -> None:
    first_line = help_text("frobnicate").splitlines()[0]
    assert "`frobnicate`" in first_line


def test_help_escapes_the_unknown_word() -> None:
    text = help_text("<!channel>&")
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;&amp;" in text


def test_help_suggests_the_subcommand_meant_by_a_typo() -> None:
    assert "Did you mean `invite`?" in help_text("invte")


def test_help_suggests_invite_when_an_address_comes_first() -> None:
    command = parse_command("<mailto:ana@lab.org|ana@lab.org>")
    assert isinstance(command, Help)
    assert "/gencove invite EMAIL" in help_text(command.unknown_word)


# -- invite ----------------------------------------------------------------------------


def test_invite_keeps_the_address_text_for_address_parsing() -> None:
    assert parse_command("invite ana@lab.org, bob@lab.org\ncy@lab.org") == Invite(
        addresses_text="ana@lab.org, bob@lab.org\ncy@lab.org", role=None
    )


@pytest.mark.parametrize(
    "text",
    [
        "invite ana@lab.org --role member",
        "invite --role member ana@lab.org",
        "invite --role=member ana@lab.org",
        "invite ana@lab.org --ROLE=member",
        "invite ana@lab.org —role member",
        "invite ana@lab.org –role member",
        "invite ana@lab.org --role 'member'",
        "INVITE ana@lab.org --role “member”",
    ],
)
def test_role_flag_may_stand_anywhere_in_any_spelling(text: str) -> None:
    command = parse_command(text)
    assert isinstance(command, Invite)
    assert command.role == "member"
    assert command.addresses_text == "ana@lab.org"


def test_quoted_role_may_contain_spaces() -> None:
    command = parse_command('invite ana@lab.org --role "lab manager"')
    assert command == Invite(addresses_text="ana@lab.org", role="lab manager")


def test_role_flag_between_addresses_leaves_both_addresses() -> None:
    command = parse_command("invite ana@lab.org --role member bob@lab.org")
    assert command == Invite(addresses_text="ana@lab.org bob@lab.org", role="member")


@pytest.mark.parametrize(
    "text",
    ["invite ana@lab.org --role", "invite ana@lab.org --role=", "invite --role --foo ana@lab.org"],
)
def test_role_flag_without_a_value_is_a_usage_error(text: str) -> None:
    assert "`--role` needs a value" in usage_problem(text, "invite")


def test_an_address_is_not_a_role() -> None:
    assert "not a role name" in usage_problem("invite --role ana@lab.org", "invite")


def test_role_flag_given_twice_is_a_usage_error() -> None:
    assert "only once" in usage_problem("invite a@lab.org --role a --role b", "invite")


def test_unknown_flag_is_named_in_the_usage_error() -> None:
    problem = usage_problem("invite ana@lab.org --admin", "invite")
    assert "`--admin`" in problem


def test_unknown_flag_is_escaped() -> None:
    problem = usage_problem("invite ana@lab.org --x&lt;b", "invite")
    assert "<" not in problem


def test_address_starting_with_a_dash_is_not_a_flag() -> None:
    assert parse_command("invite -ana@lab.org") == Invite(addresses_text="-ana@lab.org")


def test_invite_without_addresses_opens_the_form() -> None:
    assert parse_command("invite") == InviteModal(role=None)
    assert parse_command("invite , ;") == InviteModal(role=None)
    assert parse_command("invite --role admin") == InviteModal(role="admin")


def test_slack_entities_are_decoded_before_parsing() -> None:
    command = parse_command("invite Ana &lt;ana@lab.org&gt; &amp;co")
    assert command == Invite(addresses_text="Ana <ana@lab.org> &co")


def test_only_slack_entities_are_decoded() -> None:
    assert decode_slack_text("&amp;lt; &quot; &#60; &lt;&gt;&amp;") == "&lt; &quot; &#60; <>&"


# -- list ------------------------------------------------------------------------------


def test_list_defaults_to_pending() -> None:
    assert parse_command("list") == ListInvitations(status="pending")
    assert parse_command("ls") == ListInvitations(status="pending")


@pytest.mark.parametrize("status", STATUSES)
def test_list_takes_any_gencove_status(status: str) -> None:
    assert parse_command(f"list {status.upper()}") == ListInvitations(status=status)  # type: ignore[arg-type]


def test_unknown_status_names_the_valid_ones() -> None:
    problem = usage_problem("list open", "list")
    assert "`open`" in problem
    for status in STATUSES:
        assert f"`{status}`" in problem


def test_list_takes_one_status_at_most() -> None:
    usage_problem("list pending expired", "list")


# -- revoke ----------------------------------------------------------------------------


def test_revoke_by_email_and_by_id() -> None:
    assert parse_command(f"revoke Ana@Lab.org {INVITATION_ID.upper()}") == Revoke(
        targets=(RevokeByEmail("ana@lab.org"), RevokeById(INVITATION_ID))
    )


@pytest.mark.parametrize("alias", ["remove", "rm", "REVOKE"])
def test_revoke_aliases(alias: str) -> None:
    assert parse_command(f"{alias} ana@lab.org") == Revoke(targets=(RevokeByEmail("ana@lab.org"),))


def test_revoke_accepts_the_mailto_form_and_drops_repeats() -> None:
    command = parse_command("revoke <mailto:ana@lab.org|ana@lab.org>, ana@lab.org")
    assert command == Revoke(targets=(RevokeByEmail("ana@lab.org"),))


def test_revoke_without_a_target_is_a_usage_error() -> None:
    usage_problem("revoke", "revoke")


def test_revoke_lists_every_malformed_target_escaped() -> None:
    problem = usage_problem("revoke ana@lab.org nope 1234 &lt;@U1&gt;", "revoke")
    assert "`nope`" in problem
    assert "`1234`" in problem
    assert "`&lt;@U1&gt;`" in problem
    assert "ana@lab.org" not in problem


def test_classify_revoke_target() -> None:
    assert classify_revoke_target(INVITATION_ID.replace("-", "")) == RevokeById(INVITATION_ID)
    assert classify_revoke_target("<mailto:A@b.org|A@b.org>") == RevokeByEmail("a@b.org")
    assert classify_revoke_target("not-an-id") is None


# -- accept ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("accept abc123", "abc123"),
        ("accept <https://web.gencove.com/invitations/abc123/|Accept>", "abc123"),
        ("accept <https://web.gencove.com/invitations/abc123>", "abc123"),
        ("accept https://web.gencove.com/accept?token=abc123&x=1", "abc123"),
        ("accept https://web.gencove.com/#/invitation/abc123", "abc123"),
    ],
)
def test_accept_takes_a_token_or_an_invitation_link(text: str, token: str) -> None:
    assert parse_command(text) == Accept(token=token)


def test_accept_without_a_token_is_a_usage_error() -> None:
    usage_problem("accept", "accept")


def test_accept_takes_one_token() -> None:
    usage_problem("accept abc def", "accept")


def test_accept_refuses_what_is_not_a_token() -> None:
    assert "`a/b?c`" in usage_problem("accept a/b?c", "accept")
    assert invitation_token("https://web.gencove.com/") is None
    # a token is a path segment at Gencove: dots alone would walk up its paths
    for dots in (".", "..", "...", "https://web.gencove.com/invitations/..", "<..>"):
        assert invitation_token(dots) is None, dots
    assert "`..`" in usage_problem("accept ..", "accept")
    assert invitation_token("a.b") == "a.b"


# -- link, unlink, whoami, notify ------------------------------------------------------


def test_argument_free_subcommands() -> None:
    assert parse_command("link") == Link()
    assert parse_command("Unlink") == Unlink()
    assert parse_command("whoami") == WhoAmI()


def test_text_after_link_is_never_echoed_because_it_may_be_a_key() -> None:
    problem = usage_problem("link gc-SECRET-KEY", "link")
    assert "SECRET" not in problem


def test_text_after_whoami_is_a_usage_error() -> None:
    usage_problem("whoami please", "whoami")


@pytest.mark.parametrize(
    ("text", "action"),
    [("notify", "show"), ("notify here", "here"), ("notify OFF", "off"), ("notify show", "show")],
)
def test_notify_actions(text: str, action: str) -> None:
    assert parse_command(text) == Notify(action=action)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["notify on", "notify here now", "notify <!channel>"])
def test_other_notify_words_are_usage_errors(text: str) -> None:
    assert "<" not in usage_problem(text, "notify")


def test_usage_message_is_the_problem_then_the_usage_line() -> None:
    message = usage_message(Usage("list", "Give at most one status."))
    assert message == f"Give at most one status.\nUsage: {USAGE['list']}"


# -- properties ------------------------------------------------------------------------

COMMAND_TYPES = typing.get_args(Command)
words = st.sampled_from(
    [
        "invite",
        "ls",
        "rm",
        "accept",
        "notify",
        "--role",
        "--role=",
        "—role",
        "--x",
        "here",
        "<mailto:a@b.org|a@b.org>",
        "a@b.org",
        INVITATION_ID,
        "&lt;",
        "&amp;",
        "\n",
        ",",
        '"',
    ]
)
command_like = st.lists(words | st.text(max_size=15), max_size=12).map(" ".join)


@given(st.text(max_size=2_000) | command_like)
@settings(max_examples=300, deadline=None)
def test_parse_command_never_raises_and_always_returns_a_command(text: str) -> None:
    command = parse_command(text)
    assert isinstance(command, COMMAND_TYPES)
    if isinstance(command, Usage):
        assert command.subcommand in USAGE
        assert "<" not in command.problem
        assert ">" not in command.problem


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_help_text_never_contains_an_unescaped_angle_bracket_from_the_user(text: str) -> None:
    command = parse_command(text)
    if isinstance(command, Help):
        rendered = help_text(command.unknown_word)
        assert "<" not in rendered
        assert ">" not in rendered
        assert not re.search(r"&(?!amp;|lt;|gt;)", rendered)


@given(st.text())
def test_escape_mrkdwn_round_trips_through_html_unescape(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped
    assert ">" not in escaped
    assert html.unescape(escaped) == text


def test_escape_mrkdwn_escapes_ampersand_first() -> None:
    assert escape_mrkdwn("<&>") == "&lt;&amp;&gt;"


@given(st.text(), st.integers(min_value=0, max_value=50), st.text(max_size=3))
def test_truncate_never_exceeds_the_limit(text: str, limit: int, suffix: str) -> None:
    cut = truncate(text, limit, suffix)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text


def test_truncate_marks_the_cut() -> None:
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abcd", 4) == "abcd"


def test_human_list_is_bounded_and_counts_the_rest() -> None:
    assert human_list(["a"]) == "`a`"
    assert human_list(["a", "b"]) == "`a` and `b`"
    listed = human_list([f"user{i}@lab.org" for i in range(50)])
    assert listed.endswith("and 40 more")
    assert len(human_list(["&" * 300] * 50)) <= 1_600


def test_durations_are_rounded_up_in_words() -> None:
    assert describe_duration(0.2) == "1 second"
    assert describe_duration(45) == "45 seconds"
    assert describe_duration(719.5) == "12 minutes"
    assert describe_duration(7_200) == "2 hours"
    assert describe_duration(3 * 86_400) == "3 days"
