"""The note every message carries while the bot runs against the Gencove sandbox.

`invite-bot serve|socket --gencove-sandbox` answers a real Slack workspace with the
embedded Gencove sandbox behind it, so nobody may take a sandbox invitation for a real
one: every message says so at its foot. Every message leaves the bot through
`slack.outbound.Outbound`, which adds the note there (acknowledgements included).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

log = logging.getLogger(__name__)

NOTE = (
    ":test_tube: *Gencove sandbox*: invitations here are made in a sandbox on the bot's "
    "machine, not in a real Gencove organization."
)
NOTE_BLOCK = "gencove_sandbox"
MAX_BLOCKS = 50
SECTION_TEXT = 3000
LABELLED_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})


def labelled(message: Mapping[str, Any]) -> dict[str, Any]:
    """`message` (text and/or blocks) with the sandbox note as its last block.

    A message of text alone gets that text as a section first, so it still reads the same.
    One that already has Slack's 50 blocks stays as it is (there is no room; logged).
    """
    out = dict(message)
    blocks = list(out.get("blocks") or [])
    if any(_is_note(block) for block in blocks):
        return out
    if not blocks:
        text = str(out.get("text") or "")
        if not text:
            return out
        blocks = [SectionBlock(text=MarkdownTextObject(text=text[:SECTION_TEXT])).to_dict()]
    if len(blocks) >= MAX_BLOCKS:
        log.info("a message of %d blocks has no room for the sandbox note", len(blocks))
        return out
    out["blocks"] = [*blocks, _note()]
    return out


def _note() -> dict[str, Any]:
    note = ContextBlock(block_id=NOTE_BLOCK, elements=[MarkdownTextObject(text=NOTE)])
    return note.to_dict()


def _is_note(block: Any) -> bool:
    return isinstance(block, Mapping) and block.get("block_id") == NOTE_BLOCK
