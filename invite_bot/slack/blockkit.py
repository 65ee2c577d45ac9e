"""The pieces every Block Kit builder shares: action, callback and block ids (the one place
listeners and builders agree on), Block Kit's limits, status icons, escaping and the
`Message` value. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from invite_bot.domain.text import escape_mrkdwn, truncate

# A Slack user ID, not a Gencove name that merely starts with U or W ("Ursula").
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{8,}")
MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a modal's or a Home tab's
SECTION_TEXT = 3000


def esc(text: str) -> str:
    """mrkdwn-escape text from a user or from Gencove."""
    return escape_mrkdwn(text)


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]]


def as_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(text, SECTION_TEXT))


def by_whom(changed_by: str | None) -> str:
    if not changed_by:
        return ""
    if SLACK_USER_ID.fullmatch(changed_by):
        return f" by <@{changed_by}>"
    return f" by {esc(changed_by)}"


def with_note(message: Message, note: str) -> Message:
    """`message` with a note above it (`note` must already be escaped where needed).

    The note takes one block; a message already at the limit gives up its closing hint.
    """
    blocks = [ContextBlock(elements=[mrkdwn(note)]).to_dict(), *message.blocks]
    if len(blocks) > MAX_BLOCKS and blocks[-1].get("type") == "context":
        blocks.pop()
    return Message(
        text=truncate(f"{note}\n{message.text}", SECTION_TEXT), blocks=blocks[:MAX_BLOCKS]
    )


def note(text: str) -> Message:
    """A message of one short text (already escaped where needed)."""
    return Message(
        text=truncate(text, SECTION_TEXT), blocks=as_dicts([SectionBlock(text=mrkdwn(text))])
    )


def pack(lines: Iterable[str], *, limit: int = SECTION_TEXT) -> list[str]:
    """`lines` joined by new lines into as few texts of at most `limit` characters as they
    fit in (a line longer than that alone is cut): one section each."""
    texts: list[str] = []
    current = ""
    for line in lines:
        line = truncate(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts


def fits_block_kit(blocks: object) -> bool:
    """Whether Slack can take `blocks` as a message's: at most 50, sections within 3000
    characters (text and each field)."""
    if blocks is None:
        return True
    if not isinstance(blocks, Sequence) or len(blocks) > MAX_BLOCKS:
        return False
    for block in blocks:
        if not isinstance(block, Mapping):
            return False
        if block.get("type") == "section":
            texts = [block.get("text"), *(block.get("fields") or [])]
            for text in texts:
                if isinstance(text, Mapping) and len(str(text.get("text") or "")) > SECTION_TEXT:
                    return False
    return True


def home_view(blocks: Sequence[Block], *, private_metadata: str = "") -> dict[str, Any]:
    """A Home tab of `blocks`, typed by `slack_sdk` (which checks each block) and held to
    Slack's limit of 100 blocks: ValueError beyond it (the caller makes room)."""
    if not blocks or len(blocks) > MAX_VIEW_BLOCKS:
        raise ValueError(f"a Home tab takes 1 to {MAX_VIEW_BLOCKS} blocks, not {len(blocks)}")
    view = View(type="home", blocks=list(blocks), private_metadata=private_metadata or None)
    return view.to_dict()


STATUS_ICON = {
    "pending": ":envelope:",
    "accepted": ":white_check_mark:",
    "expired": ":hourglass:",
    "revoked": ":no_entry_sign:",
    "failed": ":warning:",
    "member": ":bust_in_silhouette:",
    "unsure": ":grey_question:",
    "working": ":hourglass_flowing_sand:",
}
