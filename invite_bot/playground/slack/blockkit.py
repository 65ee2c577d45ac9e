"""Block Kit validation: every problem Slack would report for a message's ``blocks`` or a
modal/home ``view``, as Slack-style messages with a JSON pointer.

Raw-dict checks of the documented limits (independent of slack_sdk), then slack_sdk's own
parsing of each block and view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

_TEXT_TYPES = ("plain_text", "mrkdwn")


def text_of(obj: Any) -> str | None:
    """The text of a text object (or a bare string); None for anything else."""
    if isinstance(obj, Mapping):
        text = obj.get("text")
        return text if isinstance(text, str) else None
    return obj if isinstance(obj, str) else None


def check_len(errors: list[str], value: Any, limit: int, pointer: str, *, minimum: int = 0) -> None:
    """A string of ``minimum`` to ``limit`` characters at ``pointer``, if present."""
    if value is None:
        return
    if not isinstance(value, str):
        errors.append(f"must be a string [json-pointer:{pointer}]")
    elif len(value) > limit:
        errors.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}]")
    elif len(value) < minimum:
        errors.append(f"must be more than {minimum - 1} characters [json-pointer:{pointer}]")


def _check_button(obj: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    check_len(errors, text_of(obj.get("text")), 75, f"{pointer}/text/text", minimum=1)
    check_len(errors, obj.get("value"), 2000, f"{pointer}/value")
    check_len(errors, obj.get("url"), 3000, f"{pointer}/url")
    if obj.get("style") not in (None, "primary", "danger"):
        errors.append(f"must be primary or danger [json-pointer:{pointer}/style]")


def _check_actions(obj: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    elements = obj.get("elements")
    if not isinstance(elements, list) or not elements:
        errors.append(f"must provide at least 1 element [json-pointer:{pointer}/elements]")
        return
    if len(elements) > 25:
        errors.append(f"no more than 25 items allowed [json-pointer:{pointer}/elements]")
    seen: set[str] = set()
    for i, element in enumerate(elements):
        aid = element.get("action_id") if isinstance(element, Mapping) else None
        if isinstance(aid, str):
            if aid in seen:
                errors.append(f"duplicate action_id {aid!r} [json-pointer:{pointer}/elements/{i}]")
            seen.add(aid)


def _check_section(obj: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    fields = obj.get("fields")
    if isinstance(fields, list):
        if len(fields) > 10:
            errors.append(f"no more than 10 items allowed [json-pointer:{pointer}/fields]")
        for i, item in enumerate(fields):
            check_len(errors, text_of(item), 2000, f"{pointer}/fields/{i}/text")


def _check_context(obj: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    elements = obj.get("elements")
    if isinstance(elements, list) and len(elements) > 10:
        errors.append(f"no more than 10 items allowed [json-pointer:{pointer}/elements]")


def _check_header(obj: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    check_len(errors, text_of(obj.get("text")), 150, f"{pointer}/text/text")


def _check_input(obj: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    check_len(errors, text_of(obj.get("label")), 2000, f"{pointer}/label/text", minimum=1)
    check_len(errors, text_of(obj.get("hint")), 2000, f"{pointer}/hint/text")


def _check_file_input(obj: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    """A file_input element (docs.slack.dev/reference/block-kit/block-elements/
    file-input-element): `max_files` 1-10, `filetypes` a list of extensions."""
    max_files = obj.get("max_files")
    if max_files is not None and (
        not isinstance(max_files, int) or isinstance(max_files, bool) or not 1 <= max_files <= 10
    ):
        errors.append(f"must be between 1 and 10 [json-pointer:{pointer}/max_files]")
    filetypes = obj.get("filetypes")
    if filetypes is not None and (
        not isinstance(filetypes, list)
        or not all(isinstance(t, str) and t and "." not in t for t in filetypes)
    ):
        errors.append(f"must be a list of file extensions [json-pointer:{pointer}/filetypes]")


_KIND_CHECKS: dict[str, Callable[[Mapping[str, Any], str, list[str]], None]] = {
    "button": _check_button,
    "actions": _check_actions,
    "section": _check_section,
    "context": _check_context,
    "header": _check_header,
    "input": _check_input,
    "file_input": _check_file_input,
}


def _check_confirm(confirm: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    p = f"{pointer}/confirm"
    check_len(errors, text_of(confirm.get("title")), 100, f"{p}/title/text", minimum=1)
    check_len(errors, text_of(confirm.get("text")), 300, f"{p}/text/text", minimum=1)
    check_len(errors, text_of(confirm.get("confirm")), 30, f"{p}/confirm/text", minimum=1)
    check_len(errors, text_of(confirm.get("deny")), 30, f"{p}/deny/text", minimum=1)


def _check_options(options: list[Any], pointer: str, errors: list[str]) -> None:
    if len(options) > 100:
        errors.append(f"no more than 100 items allowed [json-pointer:{pointer}/options]")
    for i, option in enumerate(options):
        if isinstance(option, Mapping):
            check_len(errors, text_of(option.get("text")), 75, f"{pointer}/options/{i}/text")
            check_len(errors, option.get("value"), 150, f"{pointer}/options/{i}/value")


def _walk(obj: Any, pointer: str, errors: list[str]) -> None:
    """Raw-dict checks of the Block Kit limits (independent of slack_sdk's own checks)."""
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _walk(item, f"{pointer}/{i}", errors)
        return
    if not isinstance(obj, Mapping):
        return
    kind = obj.get("type")
    if kind in _TEXT_TYPES and "text" in obj:
        check_len(errors, obj["text"], 3000, f"{pointer}/text", minimum=1)
    if "action_id" in obj:
        check_len(errors, obj["action_id"], 255, f"{pointer}/action_id", minimum=1)
    check_kind = _KIND_CHECKS.get(kind) if isinstance(kind, str) else None
    if check_kind is not None:
        check_kind(obj, pointer, errors)
    confirm = obj.get("confirm")
    if isinstance(confirm, Mapping):
        _check_confirm(confirm, pointer, errors)
    options = obj.get("options")
    if isinstance(options, list) and kind != "rich_text_list":
        _check_options(options, pointer, errors)
    for key, value in obj.items():
        if isinstance(value, (list, Mapping)) and key not in ("confirm",):
            _walk(value, f"{pointer}/{key}", errors)


def _check_block(block: Mapping[str, Any], pointer: str, block_ids: set[str]) -> list[str]:
    """One block's problems; its block_id joins ``block_ids``."""
    mine: list[str] = []
    block_id = block.get("block_id")
    if block_id is not None:
        check_len(mine, block_id, 255, f"{pointer}/block_id", minimum=1)
        if block_id in block_ids:
            mine.append(f"duplicate block_id {block_id!r} [json-pointer:{pointer}/block_id]")
        if isinstance(block_id, str):
            block_ids.add(block_id)
    _walk(block, pointer, mine)
    if not mine:
        try:
            parsed = Block.parse(dict(block))
            if parsed is None:
                mine.append(
                    f"unsupported block type {block.get('type')!r} [json-pointer:{pointer}]"
                )
            else:
                parsed.to_dict()
        except Exception as exc:  # SlackObjectFormationError, or TypeError on junk
            mine.append(f"{exc} [json-pointer:{pointer}]")
    return mine


def validate_blocks(
    blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks"
) -> list[str]:
    """Every Block Kit problem of a ``blocks`` array, as Slack-style messages ([] if valid).

    Raw-dict checks of the documented limits, plus ``slack_sdk.models`` parsing and
    ``to_dict()`` validation of each block.
    """
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        p = f"{pointer}/{i}"
        if not isinstance(block, Mapping):
            errors.append(f"must be an object [json-pointer:{p}]")
            continue
        errors.extend(_check_block(block, p, block_ids))
    return errors


def validate_view(view: Any, *, pointer: str = "/view") -> list[str]:
    """Every problem of a modal/home view (limits, blocks, input-needs-submit) ([] if valid)."""
    if not isinstance(view, Mapping):
        return [f"must be an object [json-pointer:{pointer}]"]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errors.append(f"must be modal or home [json-pointer:{pointer}/type]")
    if kind == "modal" and not isinstance(view.get("title"), Mapping):
        errors.append(f"missing required field: title [json-pointer:{pointer}/title]")
    for key in ("title", "submit", "close"):
        if key in view:
            check_len(errors, text_of(view[key]), 24, f"{pointer}/{key}/text", minimum=1)
    check_len(errors, view.get("callback_id"), 255, f"{pointer}/callback_id")
    check_len(errors, view.get("external_id"), 255, f"{pointer}/external_id")
    check_len(errors, view.get("private_metadata"), 3000, f"{pointer}/private_metadata")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        errors.append(f"must provide at least 1 block [json-pointer:{pointer}/blocks]")
    else:
        errors.extend(
            validate_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS, pointer=f"{pointer}/blocks")
        )
        has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)
        if kind == "modal" and has_input and "submit" not in view:
            errors.append(
                f"modal with input blocks requires submit [json-pointer:{pointer}/submit]"
            )
    if not errors:
        try:
            View(**dict(view)).to_dict()
        except Exception as exc:
            errors.append(f"{exc} [json-pointer:{pointer}]")
    return errors
