"""The private `/gencove list` page: a header, a row (with its button) per invitation and
Previous / Next. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    SectionBlock,
)

from invite_bot.domain.page_refs import page_value
from invite_bot.domain.records import InviteRow
from invite_bot.features.invite.rows import (
    row_block_id,
    row_button,
    row_line,
)
from invite_bot.slack.blockkit import (
    MAX_BLOCKS,
    Message,
    as_dicts,
    mrkdwn,
    note,
)


@dataclass(frozen=True)
class ListPage:
    status: str
    offset: int
    count: int
    rows: Sequence[InviteRow]
    page_size: int = 20


def invitation_list(page: ListPage) -> Message:
    """The ephemeral `/gencove list` page with Previous/Next and Revoke buttons."""
    label = "invitations" if page.status == "all" else f"{page.status} invitations"
    if page.count == 0:
        return note(f"There are no {label}.")
    # Within Block Kit's 50 blocks whatever came in: the header, rows, the page buttons.
    rows = page.rows[: min(page.page_size, MAX_BLOCKS - 2)]
    first, last = page.offset + 1, page.offset + len(rows)
    header = f"*{page.count} {label}* · showing {first}-{last}"
    blocks: list[Block] = [SectionBlock(block_id="list_header", text=mrkdwn(header))]
    for index, row in enumerate(rows):
        accessory = row_button(row, list_page=_page_value(page.status, page.offset))
        blocks.append(
            SectionBlock(
                block_id=row_block_id(row, index), text=mrkdwn(row_line(row)), accessory=accessory
            )
        )
    buttons = []
    if page.offset > 0:
        value = _page_value(page.status, max(0, page.offset - page.page_size))
        buttons.append(ButtonElement(text="Previous", action_id=f"{LIST_PAGE}:prev", value=value))
    if last < page.count:
        value = _page_value(page.status, page.offset + page.page_size)
        buttons.append(ButtonElement(text="Next", action_id=f"{LIST_PAGE}:next", value=value))
    if buttons:
        blocks.append(ActionsBlock(block_id="list_pages", elements=buttons))
    return Message(text=header, blocks=as_dicts(blocks))


def _page_value(status: str, offset: int) -> str:
    return page_value(status, offset)


LIST_PAGE = "list_page"


