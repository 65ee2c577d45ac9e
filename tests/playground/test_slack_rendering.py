"""What Slack renders, the playground renders: every emoji code the bot sends as its emoji,
and a channel as `#name` (the local Slack's name for it), in messages and in modals.

The bot's emoji codes are read from its own code, so a code added to a message later fails
here until the playground knows it. The page itself is checked in `test_browser_slack.py`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from invite_bot.playground import panes
from invite_bot.playground.emoji import EMOJI, emojify
from invite_bot.playground.mrkdwn import mrkdwn, rich_text, visible_text
from invite_bot.playground.render import render_blocks, render_view
from invite_bot.playground.world import CHANNELS, PEOPLE, person

BOT = Path(__file__).resolve().parents[2] / "invite_bot"
CODE = re.compile(r":([a-z][a-z0-9_+-]*):")
# Where a `:word:` is not an emoji: the store names SQLite's in-memory database ":memory:".
NOT_MESSAGES = ("playground", "store")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        if isinstance(node, kinds) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def codes_the_bot_sends() -> dict[str, set[str]]:
    """Every `:code:` in a string of the bot's code (docstrings aside), with where."""
    found: dict[str, set[str]] = {}
    for path in sorted(BOT.rglob("*.py")):
        if set(path.relative_to(BOT).parts) & set(NOT_MESSAGES):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if id(node) in docs:
                continue
            for match in CODE.finditer(node.value):
                found.setdefault(match[1], set()).add(str(path.relative_to(BOT)))
    return found


BOT_CODES = codes_the_bot_sends()


def test_the_bot_sends_emoji_codes() -> None:
    # the scan works: these are in the bot's messages today
    assert {"raising_hand", "warning", "white_check_mark", "test_tube"} <= set(BOT_CODES)


@pytest.mark.parametrize("code", sorted(BOT_CODES))
def test_every_emoji_code_the_bot_sends_is_shown_as_its_emoji(code: str) -> None:
    assert code in EMOJI, f":{code}: (sent in {sorted(BOT_CODES[code])}) has no emoji here"
    glyph = EMOJI[code]
    shown = mrkdwn(f"*Asked* :{code}: by someone")
    assert f":{code}:" not in shown
    assert glyph in shown
    assert render_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": f":{code}:"}}])


def test_the_emoji_people_trip_on() -> None:
    assert emojify(":raising_hand: asks") == "🙋 asks"
    assert emojify(":leftwards_arrow_with_hook: Withdrawn") == "↩️ Withdrawn"
    assert mrkdwn(":test_tube: *Gencove sandbox*") == "🧪 <b>Gencove sandbox</b>"


def test_an_unknown_code_stays_as_text() -> None:
    assert mrkdwn(":no_such_emoji: and :warning:") == ":no_such_emoji: and ⚠️"
    assert mrkdwn("at 10:30:00 sharp") == "at 10:30:00 sharp"
    assert "`:warning:`" not in mrkdwn("`:warning:`")  # code spans keep their text…
    assert ":warning:" in mrkdwn("`:warning:`")  # …as text


def _local_slack_channels() -> dict[str, dict[str, object]]:
    """The channels as the local Slack holds them (`world.furnish_slack`)."""
    return {c.channel_id: {"id": c.channel_id, "name": c.name} for c in CHANNELS}


KNOWN = panes.names(_local_slack_channels())


def test_a_channel_is_shown_by_its_name() -> None:
    assert visible_text("Asked in <#C0GENERAL>", KNOWN) == "Asked in #general"
    assert visible_text("hears <#C0ONBOARD|old-name>", KNOWN) == "hears #onboarding"
    assert visible_text("<#G0PRIVATE>", KNOWN) == "#lab-private"
    shown = mrkdwn("in <#C0ONBOARD>", KNOWN)
    assert 'class="sk-mention sk-channel">#onboarding</span>' in shown
    assert "C0ONBOARD" not in shown


def test_a_channel_the_local_slack_does_not_know_keeps_its_label_or_id() -> None:
    assert visible_text("<#C0UNKNOWN|somewhere>", KNOWN) == "#somewhere"
    assert visible_text("<#C0UNKNOWN>", KNOWN) == "#C0UNKNOWN"


def test_a_channel_in_rich_text_and_in_a_modal_by_its_name() -> None:
    section = {
        "type": "rich_text_section",
        "elements": [{"type": "channel", "channel_id": "C0GENERAL"}],
    }
    assert ">#general<" in rich_text([section], KNOWN)
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Where"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "to <#C0ONBOARD>"}}],
    }
    assert "#onboarding" in render_view(view, names=KNOWN)
    assert "#onboarding" in panes.modal((view, {}), KNOWN)


def test_the_page_names_channels_and_people_from_what_it_is_given() -> None:
    assert KNOWN["#C0GENERAL"] == "general"
    assert KNOWN[person("admin").user_id] == "ada"
    assert all(p.user_id in KNOWN for p in PEOPLE)
    assert "#C0GENERAL" not in panes.names()  # no channels given: none named
