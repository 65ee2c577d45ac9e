"""Slack mrkdwn and plain_text to safe HTML, for the playground's imitation of Slack.

Pure functions, stdlib only. Every character of the input reaches the output through
`html.escape`; the only tags are the ones built here (`ALLOWED_TAGS`, `ALLOWED_ATTRIBUTES`).

How `mrkdwn` works: the Slack control sequences (`<https://…|label>`, `<@U…>`, `<!date^…>`),
then ```` ```pre``` ````, `` `code` `` and bare links are swapped for placeholders holding
their finished HTML, so no formatting marker can reach into them; what is left is split into
lines (quotes grouped), and `*bold*`, `_italic_`, `~strike~` are matched with Slack's
word-boundary rule; the plain text in between is unescaped (`&amp;` `&lt;` `&gt;`), given
its emoji and escaped for HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from invite_bot.playground.dates import format_date
from invite_bot.playground.emoji import EMOJI, emojify

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "EMOJI",
    "attr",
    "emojify",
    "link",
    "mention",
    "mrkdwn",
    "plain",
    "rich_text",
    "safe_url",
    "unescape_slack",
    "visible_text",
]

# what mrkdwn() may emit (the property test holds it to this)
ALLOWED_TAGS = frozenset({"b", "i", "s", "code", "pre", "blockquote", "br", "a", "span", "time"})
ALLOWED_ATTRIBUTES = frozenset({"class", "href", "target", "rel", "datetime"})


_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_SAFE_URL = re.compile(r"(?:https?://|mailto:)[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_ID = re.compile(r"[A-Z0-9]+")
_CONTROL = re.compile(r"<([^<>\n]+)>")
_PRE = re.compile(r"```(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_BARE_URL = re.compile(r"https?://(?:&amp;|[^\s<>&\x00\x01])+", re.IGNORECASE)
_URL_TRAILER = ".,;:!?'\"*_~)"
# Slack's rule, roughly: a marker opens after a non-alphanumeric character and before a
# non-space, and closes after a non-space and before a non-alphanumeric character.
_FORMAT = re.compile(r"(?<![^\W_])([*_~])(?!\s)([^\n]+?)(?<!\s)\1(?![^\W_])")
_TAGS = {"*": "b", "_": "i", "~": "s"}
_HOLE = re.compile(r"\x00(\d+)\x01")
_MAX_DEPTH = 8
_HEX = re.compile(r"[0-9a-fA-F]{2,6}(?:-[0-9a-fA-F]{2,6})*")


def attr(value: str) -> str:
    """An attribute value, escaped for a double-quoted attribute."""
    return html.escape(value, quote=True)


def unescape_slack(text: str) -> str:
    """Undo Slack's three escapes in one pass (`&amp;lt;` stays the visible text `&lt;`)."""
    return _SLACK_ENTITY.sub(lambda m: _ENTITIES[m[1]], text)


def plain(text: str, *, emoji: bool = True, breaks: bool = True) -> str:
    """plain_text to escaped HTML: emoji codes to glyphs, new lines to `<br>`."""
    escaped = html.escape(emojify(text) if emoji else text, quote=True)
    return escaped.replace("\n", "<br>") if breaks else escaped


def safe_url(url: str) -> str | None:
    """`url` when it is an http, https or mailto address (anything else: None)."""
    return url if _SAFE_URL.fullmatch(url) else None


def link(url: str, label_html: str) -> str:
    """An `<a>` to a URL already checked by `safe_url`."""
    return f'<a href="{attr(url)}" target="_blank" rel="noopener">{label_html}</a>'


def mention(label: str, css: str = "sk-mention") -> str:
    """A mention span; `label` may be anything (a display name): NULs are dropped."""
    label = label.replace("\x00", "").replace("\x01", "")
    return f'<span class="{attr(css)}">{html.escape(label, quote=True)}</span>'


def _user(user_id: str, names: Mapping[str, str] | None, fallback: str = "") -> str:
    return "@" + ((names or {}).get(user_id) or fallback or user_id)


def _channel(channel_id: str, names: Mapping[str, str] | None, fallback: str = "") -> str:
    """`#name` for a channel: the name Slack knows it by (`names["#" + id]`), else the label
    the message gave, else its id."""
    return "#" + ((names or {}).get("#" + channel_id) or fallback or channel_id)


def _date(body: str, label: str, now: datetime | None) -> tuple[str, str] | None:
    parts = body.split("^", 3)
    if len(parts) < 3:
        return None
    formatted = format_date(parts[1], unescape_slack(parts[2]), now=now)
    if formatted is None:  # Slack shows the fallback
        fallback = unescape_slack(label or body)
        return html.escape(fallback, quote=True), fallback
    text, iso = formatted
    inner = f'<time datetime="{attr(iso)}">{html.escape(text, quote=True)}</time>'
    url = safe_url(unescape_slack(parts[3])) if len(parts) == 4 else None
    return (link(url, inner) if url else inner), text


@dataclass(frozen=True)
class _Ctx:
    names: Mapping[str, str] | None
    now: datetime | None


def _control(inside: str, ctx: _Ctx) -> tuple[str, str] | None:
    """A control sequence's (HTML, visible text), or None when it is not one."""
    body, bar, label = inside.partition("|")
    if body.startswith("@") and _ID.fullmatch(body[1:]):
        text = _user(body[1:], ctx.names, unescape_slack(label))
        return mention(text), text
    if body.startswith("#") and _ID.fullmatch(body[1:]):
        text = _channel(body[1:], ctx.names, unescape_slack(label))
        return mention(text, "sk-mention sk-channel"), text
    if body in ("!channel", "!here", "!everyone"):
        text = "@" + body[1:]
        return mention(text), text
    if body.startswith("!subteam^") and _ID.fullmatch(body[9:]):
        text = unescape_slack(label) or "@" + body[9:]
        text = text if text.startswith("@") else "@" + text
        return mention(text), text
    if body.startswith("!date^"):
        return _date(body, label, ctx.now)
    url = safe_url(unescape_slack(body))
    if url is None:
        return None
    text = unescape_slack(label) if bar and label else url.removeprefix("mailto:")
    return link(url, html.escape(text, quote=True)), text


def _text(text: str, *, emoji: bool = True) -> str:
    """Plain text between atoms: Slack-unescaped, emoji, HTML-escaped (holes untouched)."""
    text = unescape_slack(text)
    return html.escape(emojify(text) if emoji else text, quote=True)


class _Atoms:
    """Finished HTML fragments, stood in for by `\\x00N\\x01` while the text is parsed."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def hole(self, fragment: str) -> str:
        self.items.append(fragment)
        return f"\x00{len(self.items) - 1}\x01"

    def fill(self, text: str) -> str:
        return _HOLE.sub(lambda m: self.items[int(m[1])], text)


def _inline(text: str, depth: int = 0) -> str:
    out: list[str] = []
    pos = 0
    while depth < _MAX_DEPTH and (m := _FORMAT.search(text, pos)) is not None:
        tag = _TAGS[m[1]]
        out.append(f"{_text(text[pos : m.start()])}<{tag}>{_inline(m[2], depth + 1)}</{tag}>")
        pos = m.end()
    out.append(_text(text[pos:]))
    return "".join(out)


def _bare_url(m: re.Match[str], atoms: _Atoms) -> str:
    raw = m[0]
    core = raw.rstrip(_URL_TRAILER).removesuffix("&amp")
    if raw[len(core) :].startswith(")") and core.count("(") > core.count(")"):
        core += ")"
    url = safe_url(unescape_slack(core))
    if url is None or len(core) <= len("https://"):
        return raw
    return atoms.hole(link(url, html.escape(url, quote=True))) + raw[len(core) :]


def _lines(text: str) -> str:
    """Split into lines, group `&gt;` quotes, format each line."""
    out: list[str] = []
    quote: list[str] = []
    previous_plain = False

    def flush() -> None:
        nonlocal previous_plain
        if quote:
            out.append("<blockquote>" + "<br>".join(quote) + "</blockquote>")
            quote.clear()
            previous_plain = False

    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("&gt;&gt;&gt;"):
            flush()
            rest = "\n".join([line[12:].removeprefix(" "), *lines[index + 1 :]])
            out.append("<blockquote>" + "<br>".join(map(_inline, rest.split("\n"))))
            out.append("</blockquote>")
            return "".join(out)
        if line.startswith("&gt;"):
            quote.append(_inline(line[4:].removeprefix(" ")))
            continue
        flush()
        out.append(("<br>" if previous_plain else "") + _inline(line))
        previous_plain = True
    flush()
    return "".join(out)


def mrkdwn(
    text: str, names: Mapping[str, str] | None = None, *, now: datetime | None = None
) -> str:
    """Slack mrkdwn (already Slack-escaped: &amp; &lt; &gt;) -> safe HTML.

    `names` maps user ids to display names and `#` + a channel id to the channel's name
    (`<#C1>` shows as `#general`, as Slack shows it); `now` (aware) makes `{date_pretty}` say
    Today/Yesterday/Tomorrow and `{ago}` relative (without it: plain UTC dates).
    """
    ctx = _Ctx(names, now)
    atoms = _Atoms()
    text = text.replace("\x00", "\ufffd").replace("\x01", "\ufffd")

    def control(m: re.Match[str]) -> str:
        rendered = _control(m[1], ctx)
        return m[0] if rendered is None else atoms.hole(rendered[0])

    def pre(m: re.Match[str]) -> str:
        body = m[1].removeprefix("\n")
        lead = "\n" if body.startswith("\n") else ""  # the parser drops one after <pre>
        return atoms.hole(f"<pre>{lead}{atoms.fill(_text(body, emoji=False))}</pre>")

    def code(m: re.Match[str]) -> str:
        return atoms.hole(f"<code>{atoms.fill(_text(m[1], emoji=False))}</code>")

    text = _CONTROL.sub(control, text)
    text = _PRE.sub(pre, text)
    text = _CODE.sub(code, text)
    text = _BARE_URL.sub(lambda m: _bare_url(m, atoms), text)
    return atoms.fill(_lines(text))


def visible_text(text: str, names: Mapping[str, str] | None = None) -> str:
    """mrkdwn as the plain words a reader sees (control sequences to their labels)."""
    ctx = _Ctx(names, None)

    def control(m: re.Match[str]) -> str:
        rendered = _control(m[1], ctx)
        return m[0] if rendered is None else rendered[1].replace("&", "&amp;")

    return unescape_slack(_CONTROL.sub(control, text))


# -- rich_text blocks (what Slack's own composer sends) ----------------------------------


def _get(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, str) else "" if value is None else str(value)


def _items(obj: Any) -> list[Any]:
    value = obj.get("elements") if isinstance(obj, Mapping) else None
    return list(value) if isinstance(value, list | tuple) else []


def _unsupported(kind: str) -> str:
    return f'<span class="sk-unsupported">unsupported element: {html.escape(kind)}</span>'


def _run(el: Any, ctx: _Ctx, *, pre: bool) -> str:
    kind = _get(el, "type")
    if kind == "text":
        out = html.escape(_get(el, "text"))
        out = out if pre else out.replace("\n", "<br>")
        style = el.get("style")
        style = style if isinstance(style, Mapping) else {}
        for key, tag in (("code", "code"), ("strike", "s"), ("italic", "i"), ("bold", "b")):
            out = f"<{tag}>{out}</{tag}>" if style.get(key) else out
        return out
    if kind == "link":
        url = safe_url(_get(el, "url"))
        label = html.escape(_get(el, "text") or _get(el, "url"))
        return link(url, label) if url else label
    if kind == "user":
        return mention(_user(_get(el, "user_id"), ctx.names))
    if kind in ("usergroup", "channel", "broadcast"):
        key = {"usergroup": "usergroup_id", "channel": "channel_id", "broadcast": "range"}[kind]
        if kind == "channel":
            return mention(_channel(_get(el, key), ctx.names), "sk-mention sk-channel")
        return mention("@" + _get(el, key))
    if kind == "emoji":
        code = _get(el, "unicode")
        if _HEX.fullmatch(code) and all(int(p, 16) <= 0x10FFFF for p in code.split("-")):
            return html.escape("".join(chr(int(part, 16)) for part in code.split("-")))
        return html.escape(emojify(f":{_get(el, 'name')}:"))
    if kind == "date":
        formatted = format_date(_get(el, "timestamp"), _get(el, "format"), now=ctx.now)
        if formatted is None:
            return html.escape(_get(el, "fallback"))
        return f'<time datetime="{attr(formatted[1])}">{html.escape(formatted[0])}</time>'
    return _unsupported(kind)


def _rich(el: Any, ctx: _Ctx) -> str:
    kind = _get(el, "type")
    if kind == "rich_text_list":
        tag = "ol" if _get(el, "style") == "ordered" else "ul"
        items = "".join(f"<li>{_rich(item, ctx)}</li>" for item in _items(el))
        return f'<{tag} class="sk-rt-list">{items}</{tag}>'
    runs = "".join(_run(r, ctx, pre=kind == "rich_text_preformatted") for r in _items(el))
    if kind == "rich_text_section":
        return f'<div class="sk-rt-section">{runs}</div>'
    if kind == "rich_text_preformatted":
        return f"<pre>{runs}</pre>"
    if kind == "rich_text_quote":
        return f"<blockquote>{runs}</blockquote>"
    return _unsupported(kind)


def rich_text(
    elements: Any, names: Mapping[str, str] | None = None, *, now: datetime | None = None
) -> str:
    """A rich_text block's `elements` (sections, lists, quotes, preformatted) to HTML."""
    ctx = _Ctx(names, now)
    return "".join(_rich(el, ctx) for el in _items({"elements": elements}))
