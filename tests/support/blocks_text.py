"""What a message's Block Kit blocks say, for tests that mean "this block says X" rather
than "X is somewhere in the JSON" (which also matches ids, values, confirm dialogs and
other blocks, and misses anything JSON escapes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Blocks = Iterable[Mapping[str, Any]] | None


def find_block(blocks: Blocks, block_id: str) -> Mapping[str, Any]:
    """The block with `block_id`; AssertionError naming the ids there are if none has it."""
    listed = list(blocks or [])
    for block in listed:
        if block.get("block_id") == block_id:
            return block
    ids = [block.get("block_id") for block in listed]
    raise AssertionError(f"no block {block_id!r} in the message; its block ids: {ids}")


def text_of(block: Mapping[str, Any]) -> str:
    """What one block shows: a section's text and fields (not its button), a context's or
    an actions block's elements, a header's or an input's label; lines joined by newlines."""
    kind = block.get("type")
    if kind == "section":
        parts = [block.get("text"), *(block.get("fields") or [])]
    elif kind in ("context", "actions"):
        parts = [_shown(element) for element in block.get("elements") or []]
    elif kind == "header":
        parts = [block.get("text")]
    elif kind == "input":
        parts = [block.get("label")]
    else:
        parts = []
    return "\n".join(_plain(part) for part in parts if _plain(part))


def block_text(blocks: Blocks, block_id: str) -> str:
    """What the block with `block_id` says (see `text_of`)."""
    return text_of(find_block(blocks, block_id))


def section_text(blocks: Blocks) -> str:
    """What every section of the message says, one section after the other."""
    return "\n".join(text_of(b) for b in blocks or [] if b.get("type") == "section")


def blocks_text(blocks: Blocks) -> str:
    """What the whole message shows, block after block."""
    return "\n".join(text for text in (text_of(b) for b in blocks or []) if text)


def action_ids(blocks: Blocks) -> list[str]:
    """The action ids of every button and control: section accessories and actions blocks."""
    found: list[str] = []
    for block in blocks or []:
        controls = [block.get("accessory"), *(block.get("elements") or [])]
        found += [
            str(c["action_id"]) for c in controls if isinstance(c, Mapping) and "action_id" in c
        ]
    return found


def _shown(element: Any) -> Any:
    """A context element is a text object; an actions element (a button) has a label."""
    if isinstance(element, Mapping) and element.get("type") not in ("mrkdwn", "plain_text"):
        return element.get("text")
    return element


def _plain(text_object: Any) -> str:
    if isinstance(text_object, Mapping):
        return str(text_object.get("text") or "")
    return ""
