"""The small parts the playground's Block Kit rendering is built of (render.py): the
rendering context, lenient reads of a payload's values, HTML attributes and tags, and text
objects. Pure, stdlib only; every value reaches HTML through `html.escape`."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from invite_bot.playground.mrkdwn import emojify, mrkdwn, plain, visible_text

Attrs = Mapping[str, str | bool | None]


@dataclass(frozen=True)
class Ctx:
    """Where a block or element is rendered: the names to show, now, the form's errors."""

    names: Mapping[str, str] | None = None
    now: datetime | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    block_id: str = ""
    input_block: bool = False  # inside an input block: a form field, not an action
    dispatch: bool = False
    required: bool = False


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def attrs_html(attrs: Attrs) -> str:
    """` name="escaped"` for each attribute; True is a bare attribute, None/False none."""
    out = []
    for name, value in attrs.items():
        if value is True:
            out.append(f" {name}")
        elif value is not None and value is not False:
            out.append(f' {name}="{html.escape(value, quote=True)}"')
    return "".join(out)


def tag(name: str, attrs: Attrs, inner: str = "") -> str:
    return f"<{name}{attrs_html(attrs)}>{inner}</{name}>"


def raw_text(obj: Any) -> str:
    """A text object's words (or a bare string), for attributes and `<option>`."""
    if isinstance(obj, str):
        return obj
    obj = as_map(obj)
    text = as_str(obj.get("text"))
    if obj.get("type") == "mrkdwn":
        return visible_text(text)
    return emojify(text) if obj.get("emoji", True) is not False else text


def text_object(
    obj: Mapping[str, Any] | None,
    names: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """`{"type": "mrkdwn"|"plain_text", "text": …}` to HTML (None: empty)."""
    if not obj:
        return ""
    text = as_str(obj.get("text"))
    if obj.get("type") == "mrkdwn":
        return mrkdwn(text, names, now=now)
    return plain(text, emoji=obj.get("emoji", True) is not False)


def text_html(obj: Any, ctx: Ctx) -> str:
    return text_object(as_map(obj), ctx.names, now=ctx.now)


def unsupported(what: str, kind: Any) -> str:
    return f'<div class="sk-unsupported">unsupported {what}: {html.escape(as_str(kind))}</div>'
