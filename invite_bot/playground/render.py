"""Block Kit to HTML for the playground: a message's blocks and a modal, as Slack shows them.

Pure functions, stdlib only. Interactive elements carry the `data-*` attributes the page's
JavaScript reads: an action (button, select, overflow… outside an input block) has
`data-action-id`, `data-block-id` and `data-kind`; a form field inside an input block has
`name="BLOCK.ACTION"`, `data-input-block`, `data-input-action` and `data-input-kind` (for
checkboxes and radio buttons: on each option's `<input>`, all with the same `name`).
A block or element this module does not know is shown as `sk-unsupported`, never dropped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from invite_bot.playground.html_kit import (
    Ctx,
    as_list,
    as_map,
    as_str,
    attrs_html,
    raw_text,
    tag,
    text_html,
    text_object,
    unsupported,
)
from invite_bot.playground.mrkdwn import mrkdwn, plain, rich_text, safe_url

__all__ = ["mrkdwn", "plain", "render_blocks", "render_view", "text_object"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# -- elements ---------------------------------------------------------------------------


def _ids(el: Mapping[str, Any], ctx: Ctx, kind: str) -> dict[str, Any]:
    action_id = as_str(el.get("action_id"))
    if not ctx.input_block:
        return {"data-action-id": action_id, "data-block-id": ctx.block_id, "data-kind": kind}
    return {
        "name": f"{ctx.block_id}.{action_id}",
        "data-input-block": ctx.block_id,
        "data-input-action": action_id,
        "data-input-kind": kind,
        "data-dispatch": "true" if ctx.dispatch or el.get("dispatch_action") else None,
    }


def _confirm(obj: Any) -> str | None:
    if not isinstance(obj, Mapping):
        return None
    data = {key: raw_text(obj.get(key)) for key in ("title", "text", "confirm", "deny")}
    return json.dumps({**data, "style": as_str(obj.get("style")) or None}, ensure_ascii=False)


def _button(el: Mapping[str, Any], ctx: Ctx) -> str:
    style = {"primary": " sk-primary", "danger": " sk-danger"}.get(as_str(el.get("style")), "")
    attrs = {  # a button is always an action, even where Slack would not allow one
        "type": "button",
        "class": "sk-button" + style,
        "data-action-id": as_str(el.get("action_id")),
        "data-block-id": ctx.block_id,
        "data-value": el["value"] if isinstance(el.get("value"), str) else None,
        "data-kind": "button",
        "data-url": safe_url(as_str(el.get("url"))),
        "data-confirm": _confirm(el.get("confirm")),
    }
    return tag("button", attrs, text_html(el.get("text"), ctx))


def _options(options: Any, selected: set[str]) -> str:
    out = []
    for option in map(as_map, as_list(options)):
        value = as_str(option.get("value"))
        attrs = {
            "value": value,
            "data-url": safe_url(as_str(option.get("url"))),
            "selected": value in selected,
        }
        out.append(tag("option", attrs, html.escape(raw_text(option.get("text")))))
    return "".join(out)


def _initial(el: Mapping[str, Any]) -> set[str]:
    chosen = [as_map(el.get("initial_option")), *map(as_map, as_list(el.get("initial_options")))]
    return {as_str(option.get("value")) for option in chosen if option}


def _select(el: Mapping[str, Any], ctx: Ctx, kind: str = "static_select") -> str:
    overflow = kind == "overflow"
    placeholder = "⋯" if overflow else raw_text(el.get("placeholder"))
    selected = _initial(el)
    inner = tag("option", {"value": ""}, html.escape(placeholder))
    inner += _options(el.get("options"), selected)
    for group in map(as_map, as_list(el.get("option_groups"))):
        label = {"label": raw_text(group.get("label"))}
        inner += tag("optgroup", label, _options(group.get("options"), selected))
    attrs = {
        "class": "sk-select sk-overflow" if overflow else "sk-select",
        **_ids(el, ctx, kind),
        "required": ctx.required,
        "data-confirm": _confirm(el.get("confirm")),
    }
    return tag("select", attrs, inner)


def _int(value: Any) -> str | None:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _text_input(el: Mapping[str, Any], ctx: Ctx) -> str:
    initial = as_str(el.get("initial_value"))
    attrs: dict[str, Any] = {
        "class": "sk-text-input",
        **_ids(el, ctx, "plain_text_input"),
        "placeholder": raw_text(el.get("placeholder")) or None,
        "maxlength": _int(el.get("max_length")),
        "minlength": _int(el.get("min_length")),
        "required": ctx.required,
    }
    if el.get("multiline"):
        attrs["class"] = "sk-text-input sk-textarea"
        # the HTML parser drops one new line right after <textarea>: keep the value's own
        lead = "\n" if initial.startswith("\n") else ""
        return tag("textarea", attrs, lead + html.escape(initial))
    return f"<input{attrs_html({'type': 'text', **attrs, 'value': initial or None})}>"


def _file_input(el: Mapping[str, Any], ctx: Ctx) -> str:
    types = ",".join("." + as_str(t).lstrip(".") for t in as_list(el.get("filetypes")))
    attrs = {
        "type": "file",
        "class": "sk-file",
        **_ids(el, ctx, "file_input"),
        "accept": types or None,
        "multiple": el.get("max_files", 10) != 1,
        "required": ctx.required,
    }
    return f"<input{attrs_html(attrs)}>"


def _choices(el: Mapping[str, Any], ctx: Ctx, kind: str) -> str:
    """One `<input>` per option, each carrying the element's ids (and the same `name`)."""
    ids = {**_ids(el, ctx, kind), "name": f"{ctx.block_id}.{as_str(el.get('action_id'))}"}
    box = "checkbox" if kind == "checkboxes" else "radio"
    selected = _initial(el)
    items = []
    for option in map(as_map, as_list(el.get("options"))):
        value = as_str(option.get("value"))
        attrs = {"type": box, **ids, "value": value, "checked": value in selected}
        desc = ""
        if option.get("description"):
            desc = f'<span class="sk-choice-desc">{text_html(option["description"], ctx)}</span>'
        text = f'<span class="sk-choice-text">{text_html(option.get("text"), ctx)}</span>'
        items.append(f'<label class="sk-choice"><input{attrs_html(attrs)}>{text}{desc}</label>')
    return f'<div class="sk-{kind}">{"".join(items)}</div>'


def _datepicker(el: Mapping[str, Any], ctx: Ctx) -> str:
    initial = as_str(el.get("initial_date"))
    attrs = {
        "type": "date",
        "class": "sk-datepicker",
        **_ids(el, ctx, "datepicker"),
        "value": initial if _ISO_DATE.fullmatch(initial) else None,
        "required": ctx.required,
        "data-confirm": _confirm(el.get("confirm")),
    }
    return f"<input{attrs_html(attrs)}>"


def _image(el: Mapping[str, Any], css: str) -> str:
    alt = as_str(el.get("alt_text"))
    url = safe_url(as_str(el.get("image_url")))
    if url is None or url.lower().startswith("mailto:"):
        return f'<span class="sk-image-alt">{html.escape(alt)}</span>'
    return f"<img{attrs_html({'class': css, 'src': url, 'alt': alt})}>"


_ELEMENTS: dict[str, Callable[[Mapping[str, Any], Ctx], str]] = {
    "button": _button,
    "static_select": _select,
    "overflow": lambda el, ctx: _select(el, ctx, "overflow"),
    "datepicker": _datepicker,
    "checkboxes": lambda el, ctx: _choices(el, ctx, "checkboxes"),
    "radio_buttons": lambda el, ctx: _choices(el, ctx, "radio_buttons"),
    "plain_text_input": _text_input,
    "file_input": _file_input,
    "image": lambda el, _ctx: _image(el, "sk-image-element"),
}


def _element(el: Any, ctx: Ctx) -> str:
    el = as_map(el)
    render = _ELEMENTS.get(as_str(el.get("type")))
    return render(el, ctx) if render else unsupported("element", el.get("type"))


# -- blocks -----------------------------------------------------------------------------


def _section(block: Mapping[str, Any], ctx: Ctx) -> str:
    main = ""
    if block.get("text"):
        main += f'<div class="sk-section-text">{text_html(block["text"], ctx)}</div>'
    fields = "".join(
        f'<div class="sk-field">{text_html(f, ctx)}</div>' for f in as_list(block.get("fields"))
    )
    if fields:
        main += f'<div class="sk-fields">{fields}</div>'
    out = f'<div class="sk-section-main">{main}</div>'
    if block.get("accessory"):
        out += f'<div class="sk-accessory">{_element(block["accessory"], ctx)}</div>'
    return out


def _context(block: Mapping[str, Any], ctx: Ctx) -> str:
    items = []
    for el in map(as_map, as_list(block.get("elements"))):
        if el.get("type") in ("mrkdwn", "plain_text"):
            items.append(f'<span class="sk-context-text">{text_html(el, ctx)}</span>')
        elif el.get("type") == "image":
            items.append(_image(el, "sk-context-image"))
        else:
            items.append(unsupported("element", el.get("type")))
    return "".join(items)


def _actions(block: Mapping[str, Any], ctx: Ctx) -> str:
    return "".join(_element(el, ctx) for el in as_list(block.get("elements")))


def _input(block: Mapping[str, Any], ctx: Ctx) -> str:
    optional = bool(block.get("optional"))
    marker = ' <span class="sk-optional">(optional)</span>' if optional else ""
    out = f'<label class="sk-label">{text_html(block.get("label"), ctx)}{marker}</label>'
    field_ctx = replace(
        ctx, input_block=True, dispatch=bool(block.get("dispatch_action")), required=not optional
    )
    out += f'<div class="sk-input-element">{_element(block.get("element"), field_ctx)}</div>'
    if ctx.block_id and ctx.block_id in ctx.errors:
        out += _error(ctx.block_id, as_str(ctx.errors[ctx.block_id]))
    if block.get("hint"):
        out += f'<div class="sk-hint">{text_html(block["hint"], ctx)}</div>'
    return out


def _image_block(block: Mapping[str, Any], ctx: Ctx) -> str:
    title = block.get("title")
    caption = f'<div class="sk-image-title">{text_html(title, ctx)}</div>' if title else ""
    return caption + _image(block, "sk-img")


def _error(block_id: str, message: str) -> str:
    return tag("div", {"class": "sk-error", "data-error-for": block_id}, html.escape(message))


_BLOCKS: dict[str, Callable[[Mapping[str, Any], Ctx], str]] = {
    "header": lambda block, ctx: tag(
        "div", {"class": "sk-header-text"}, text_html(block.get("text"), ctx)
    ),
    "section": _section,
    "context": _context,
    "divider": lambda _block, _ctx: '<hr class="sk-hr">',
    "actions": _actions,
    "input": _input,
    "image": _image_block,
    "rich_text": lambda block, ctx: rich_text(block.get("elements"), ctx.names, now=ctx.now),
}


def _block(block: Any, ctx: Ctx) -> str:
    block = as_map(block)
    kind, block_id = as_str(block.get("type")), as_str(block.get("block_id"))
    ctx = replace(ctx, block_id=block_id)
    render = _BLOCKS.get(kind)
    inner = render(block, ctx) if render else unsupported("block", kind)
    classes = f"sk-block sk-{kind}" if render else "sk-block"
    if block_id and block_id in ctx.errors:
        classes += " sk-has-error"
        if kind != "input":
            inner += _error(block_id, as_str(ctx.errors[block_id]))
    return tag("div", {"class": classes, "data-block-id": block_id}, inner)


def render_blocks(
    blocks: Sequence[Mapping[str, Any]] | None,
    *,
    names: Mapping[str, str] | None = None,
    fallback_text: str | None = None,
    now: datetime | None = None,
) -> str:
    """A message's blocks; when blocks is empty/None, the fallback text rendered as mrkdwn."""
    if not blocks:
        if not fallback_text:
            return ""
        return f'<div class="sk-message-text">{mrkdwn(fallback_text, names, now=now)}</div>'
    ctx = Ctx(names=names, now=now)
    return "".join(_block(block, ctx) for block in blocks)


def render_view(
    view: Mapping[str, Any],
    *,
    names: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """A modal: title, blocks (inputs included), per-block errors (block_id -> message)
    shown under the field, and Close / Submit buttons."""
    errors = dict(errors or {})
    ctx = Ctx(names=names, now=now, errors=errors)
    blocks = [as_map(block) for block in as_list(view.get("blocks"))]
    known = {as_str(block.get("block_id")) for block in blocks}
    # an error for a block the view does not have (Slack would refuse it): shown on top;
    # the key "" is no block's (the caller's own, general message): left to the caller
    body = "".join(_error(b, as_str(msg)) for b, msg in errors.items() if b and b not in known)
    body += "".join(_block(block, ctx) for block in blocks)
    close = raw_text(view.get("close")) or "Cancel"
    footer = f'<button type="button" class="sk-modal-close">{html.escape(close)}</button>'
    if view.get("submit"):
        submit = html.escape(raw_text(view.get("submit")))
        submit_class = "sk-modal-submit sk-button sk-primary"
        footer += f'<button type="button" class="{submit_class}">{submit}</button>'
    title = html.escape(raw_text(view.get("title")))
    return tag(
        "div",
        {"class": "sk-modal", "data-callback-id": as_str(view.get("callback_id"))},
        f'<div class="sk-modal-title">{title}</div>'
        f'<div class="sk-modal-body">{body}</div>'
        f'<div class="sk-modal-footer">{footer}</div>',
    )
