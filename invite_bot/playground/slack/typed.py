"""What Slack's client sends for a message a person typed: its `text`, with `&`, `<` and
`>` escaped and the addresses and links it found made into Slack's links
(`ana@lab.org` -> `<mailto:ana@lab.org|ana@lab.org>`, `https://x.org` -> `<https://x.org>`),
and the `rich_text` block beside it, which holds the same words unescaped."""

from __future__ import annotations

import re
import secrets

from invite_bot.playground.slack.records import JSONDict

_FOUND = re.compile(
    r"(?P<url>https?://[^\s<>|]+[^\s<>|.,;:!?)])"
    r"|(?P<email>[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pieces(typed: str) -> list[tuple[str, str | None]]:
    """The typed text as (words, link target) pieces; plain words have no target."""
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for found in _FOUND.finditer(typed):
        if found.start() > position:
            pieces.append((typed[position : found.start()], None))
        if found["email"]:
            pieces.append((found["email"], "mailto:" + found["email"]))
        else:
            pieces.append((found["url"], found["url"]))
        position = found.end()
    if position < len(typed):
        pieces.append((typed[position:], None))
    return pieces


def message_text(typed: str) -> str:
    """A typed message's `text` as Slack sends it to an app."""
    out = []
    for words, target in _pieces(typed):
        if target is None:
            out.append(_escape(words))
        elif target.startswith("mailto:"):
            out.append(f"<{_escape(target)}|{_escape(words)}>")
        else:
            out.append(f"<{_escape(target)}>")
    return "".join(out)


def rich_text_blocks(typed: str) -> list[JSONDict]:
    """The `rich_text` block Slack's client sends with a typed message."""
    elements: list[JSONDict] = [
        {"type": "text", "text": words}
        if target is None
        else {"type": "link", "url": target, "text": words}
        for words, target in _pieces(typed)
    ]
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(3),
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]
