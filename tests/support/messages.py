"""What a message the bot sent says, and what it must not: its text, a row's line, its
Revoke buttons, no raw mention or special. First written for the hostile tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.slack import FakeSlack, Message
from tests.support.harness import ADMIN, OUTSIDER

# mentions and specials that must never reach Slack raw when they came from input
RAW_SPECIALS = ("<!channel>", "<!here>", "<!everyone>", "<@U123>")


def block_texts(blocks: Iterable[Any] | None) -> list[str]:
    """Every mrkdwn/plain text string inside `blocks`."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(list(blocks or []))
    return found


def message_text(message: Message | dict[str, Any]) -> str:
    if isinstance(message, Message):
        return "\n".join([message.text or "", *block_texts(message.blocks)])
    return "\n".join([str(message.get("text") or ""), *block_texts(message.get("blocks"))])


def section_for(message: Message, email: str) -> str | None:
    """The row text of `email` in a result message, None if it has none."""
    wanted = f"*{escape(email)}*"
    for text in block_texts(message.blocks):
        for line in text.split("\n"):
            if wanted in line:
                return line
    return None


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


BOTS_OWN = (f"<@{ADMIN}>", f"<@{OUTSIDER}>")


def assert_no_raw_specials(text: str) -> None:
    """No `<…>` mrkdwn control sequence in `text` but the bot's own (mentions of the people
    who acted, `<!date^…>`, `<#channel>`, a link Slack gave to one of its messages):
    anything else came from input unescaped."""
    for special in RAW_SPECIALS:
        assert special not in text, f"{special} reached Slack unescaped"
    for control in re.findall(r"<[^<>]*>", text):
        ok = control in BOTS_OWN or control.startswith(("<!date^", "<#C"))
        ok = ok or PERMALINK.fullmatch(control) is not None
        assert ok, f"unescaped {control!r} reached Slack"


# chat.getPermalink's answer, as the bot links to a message ("see the message about it")
PERMALINK = re.compile(r"<https?://[^<>|\s]+/archives/[CGD][A-Z0-9_]+/p\d+\|[a-z ]+>")


def revoke_buttons(blocks: Iterable[Any] | None) -> list[dict[str, Any]]:
    return [
        b["accessory"]
        for b in blocks or []
        if isinstance(b, dict) and b.get("accessory", {}).get("action_id") == REVOKE
    ]


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)[:4000]


def visible_outcomes(slack: FakeSlack, response_url: str, channel: str | None = None) -> int:
    """Messages the bot posted in `channel` plus posts to `response_url`."""
    posted = len(slack.messages_in(channel)) if channel else 0
    return posted + len(slack.response_posts(response_url))
