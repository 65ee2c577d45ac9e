"""The shortcuts' ids (as the manifest names them) and what they add to the invite form:
its addresses filled in, and a line saying where they came from. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from invite_bot.domain.text import escape_mrkdwn
from invite_bot.features.invite.modals import ADDRESSES_BLOCK
from invite_bot.slack.blockkit import mrkdwn

GLOBAL_SHORTCUT = "invite_to_gencove_global"  # the shortcuts menu
MESSAGE_SHORTCUT = "invite_to_gencove_message"  # a message's "…" menu

FROM_MESSAGE = "Filled in with the {count} found in the message. Check {them} before you send."
FROM_PROFILE = (
    "The message has no email address, so this is *<@{author}>'s address from their Slack "
    "profile*. Check it is the one to invite before you send."
)
NO_ADDRESS = (
    "The message has no email address, and <@{author}>'s Slack profile shows none: type "
    "the address to invite."
)
NO_AUTHOR = "The message has no email address, and no author whose profile could say one."
PROFILE_UNREADABLE = (
    "The message has no email address, and <@{author}>'s Slack profile could not be read "
    "({reason}): type the address to invite."
)
MAX_PREFILL = 3000  # a plain-text input's initial value is capped by Slack


def prefilled(view: View, addresses: Sequence[str], note: str | None) -> View:
    """`view` (the invite or the request form) with `addresses` in its address field and
    `note` (mrkdwn) above it."""
    blocks: list[Block] = []
    for block in view.blocks or []:
        if isinstance(block, InputBlock) and block.block_id == ADDRESSES_BLOCK:
            if note:
                blocks.append(ContextBlock(block_id="shortcut_note", elements=[mrkdwn(note)]))
            element = block.element
            if addresses and isinstance(element, PlainTextInputElement):
                element.initial_value = _joined(addresses)
        blocks.append(block)
    view.blocks = blocks
    return view


def found_note(count: int) -> str:
    if count == 1:
        return FROM_MESSAGE.format(count="address", them="it")
    return FROM_MESSAGE.format(count=f"{count} addresses", them="them")


def author_note(template: str, author: str, reason: str = "") -> str:
    return template.format(author=escape_mrkdwn(author), reason=escape_mrkdwn(reason))


def _joined(addresses: Sequence[str]) -> str:
    text = ""
    for address in addresses:
        if len(text) + len(address) + 1 > MAX_PREFILL:
            break
        text += address + "\n"
    return text.rstrip("\n")
