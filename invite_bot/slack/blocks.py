"""Block Kit messages and modals, built from domain values with `slack_sdk.models`.

Pure functions: no I/O. Every string that came from a user or from Gencove goes through
`esc()`; every message is checked against Block Kit's limits by `to_dict()` and, where an
input could break them (50 addresses, long errors), degrades to a compact form.

Here: invite results, notifications, notes and the invitation list. The shared ids,
limits and helpers are in `block_kit`, the modals in `modals`, the accept card in
`card_blocks`; all are re-exported from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    SectionBlock,
)

from invite_bot.domain.addresses import shown
from invite_bot.domain.text import truncate
from invite_bot.slack import trust
from invite_bot.slack.blockkit import (
    DETAILED_ROWS,
    LIST_PAGE,
    MAX_BLOCKS,
    REINVITABLE,
    REINVITE,
    REVOKE,
    STATUS_ICON,
    Message,
    as_dicts,
    by_whom,
    esc,
    mrkdwn,
    note,
    pack,
    slack_date,
)


@dataclass(frozen=True)
class InviteRow:
    """One address of an invite command, as the result message shows it."""

    email: str
    status: str  # pending | accepted | expired | revoked | failed | member | unsure | working
    role: str = ""
    invitation_id: str | None = None
    expires: datetime | None = None
    error: str | None = None
    changed_by: str | None = None  # Slack user ID (revoked from Slack) or a Gencove name
    existing: bool = False  # the invitation was already pending before this command
    reinvited_by: str | None = None  # a Slack user ID: the address was invited again


def row_line(row: InviteRow) -> str:
    """The one-line description of an address (also used in compact mode)."""
    icon = STATUS_ICON.get(row.status, ":grey_question:")
    email = f"*{esc(shown(row.email))}*"
    role = f" · role {esc(row.role)}" if row.role else ""
    if row.status == "failed":
        return f"{icon} {email}: not invited. {esc(row.error or 'Gencove refused it.')}"
    if row.status == "working":
        return f"{icon} {email}: inviting…"
    if row.status == "member":
        return f"{icon} {email}: already a member of the organization, not invited."
    if row.status == "unsure":
        return (
            f"{icon} {email}: may have been invited: Gencove's answer was lost and the "
            "invitation was not in its list yet. Check `/gencove list` before inviting again."
        )
    if row.status == "pending":
        prefix = "already invited" if row.existing else "invited"
        return f"{icon} {email}: {prefix}{role} · expires {slack_date(row.expires)}"
    again = f" · re-invited{by_whom(row.reinvited_by)}" if row.reinvited_by else ""
    return f"{icon} {email}: {row.status}{by_whom(row.changed_by)}{role}{again}"


def revoke_button(invitation_id: str, email: str, *, list_page: str = "") -> ButtonElement:
    """Revoke with Slack's confirm dialog; on a list page the value also names the page."""
    return ButtonElement(
        text="Revoke",
        action_id=REVOKE,
        value=f"{invitation_id}|{list_page}" if list_page else invitation_id,
        style="danger",
        confirm=ConfirmObject(
            title="Revoke this invitation?",
            text=truncate(f"{esc(shown(email))} will no longer be able to join.", 300),
            confirm="Revoke",
            deny="Keep it",
            style="danger",
        ),
    )


def reinvite_button(invitation_id: str, *, list_page: str = "") -> ButtonElement:
    """Re-invite: the same address, with the same role (the value is like Revoke's)."""
    return ButtonElement(
        text="Re-invite",
        action_id=REINVITE,
        value=f"{invitation_id}|{list_page}" if list_page else invitation_id,
    )


def row_button(row: InviteRow, *, list_page: str = "") -> ButtonElement | None:
    """Revoke on a pending row, Re-invite on an expired or revoked one not re-invited yet."""
    if not row.invitation_id:
        return None
    if row.status == "pending":
        return revoke_button(row.invitation_id, row.email, list_page=list_page)
    if row.status in REINVITABLE and not row.reinvited_by:
        return reinvite_button(row.invitation_id, list_page=list_page)
    return None


def row_block_id(row: InviteRow, index: int) -> str:
    return f"inv:{row.invitation_id}" if row.invitation_id else f"row:{index}"


def invite_result(rows: Sequence[InviteRow], *, inviter_id: str) -> Message:
    """The ONE in-channel message an invite command posts (and later updates)."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    invited = counts.get("pending", 0)
    summary = f"<@{inviter_id}> invited {invited} of {len(rows)} address" + (
        "es" if len(rows) != 1 else ""
    )
    notes = [
        f"{counts[status]} {label}"
        for status, label in (
            ("member", "already a member" if counts.get("member") == 1 else "already members"),
            ("unsure", "not confirmed"),
            ("failed", "failed"),
        )
        if counts.get(status)
    ]
    if notes:
        summary += f" ({', '.join(notes)})"
    blocks: list[Block] = [SectionBlock(block_id="summary", text=mrkdwn(summary + "."))]
    if len(rows) <= DETAILED_ROWS:
        for index, row in enumerate(rows):
            accessory = row_button(row)
            blocks.append(
                SectionBlock(
                    block_id=row_block_id(row, index),
                    text=mrkdwn(row_line(row)),
                    accessory=accessory,
                )
            )
    else:
        blocks.extend(_compact(rows, MAX_BLOCKS - 2))
        blocks.append(
            ContextBlock(
                elements=[
                    mrkdwn(
                        "Too many addresses for a button each: use `/gencove list` "
                        "to revoke any of them."
                    )
                ]
            )
        )
    text = truncate(f"{summary}: " + ", ".join(r.email for r in rows), 3000)
    return Message(text=text, blocks=as_dicts(blocks))


def _compact(rows: Sequence[InviteRow], max_sections: int) -> list[Block]:
    """Pack row lines into as few sections as fit, each under the text limit."""
    sections = pack(row_line(row) for row in rows)
    if len(sections) > max_sections:
        hidden = len(sections) - max_sections + 1
        sections = [*sections[: max_sections - 1], f"…and {hidden} more groups of addresses."]
    return [
        SectionBlock(block_id=f"rows:{i}", text=mrkdwn(text)) for i, text in enumerate(sections)
    ]


def notification(row: InviteRow, *, inviter_id: str | None) -> Message:
    """A channel notification of one transition, e.g. "bob@lab.org accepted …"."""
    email = esc(shown(row.email))
    who = f"invited by <@{inviter_id}>" if inviter_id else "invited outside Slack"
    role = f", role {esc(row.role)}" if row.role else ""
    verbs = {
        "pending": f":envelope: {email} was invited ({who}{role}, "
        f"expires {slack_date(row.expires)})",
        "accepted": f":white_check_mark: {email} accepted the invitation ({who}{role})",
        "expired": f":hourglass: The invitation to {email} expired ({who}{role})",
        "revoked": f":no_entry_sign: The invitation to {email} was revoked"
        f"{by_whom(row.changed_by)} ({who}{role})",
    }
    text = verbs.get(row.status, f"{email}: {esc(row.status)} ({who}{role})")
    return Message(text=truncate(text, 3000), blocks=as_dicts([SectionBlock(text=mrkdwn(text))]))


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
    return trust.page_value(status, offset)


def parse_page_value(value: str) -> tuple[str, int]:
    """(status, offset) of a list button; `trust.OutOfDate` when it is not one we wrote."""
    page = trust.list_page(value)
    if page is None:
        raise trust.OutOfDate("a list button's page value")
    return page.status, page.offset


def parse_revoke_value(value: str) -> tuple[str, tuple[str, int] | None]:
    """The invitation id, and the list page the button was on (None on a result message)."""
    invitation_id, _, page = value.partition("|")
    return invitation_id, parse_page_value(page) if page else None
