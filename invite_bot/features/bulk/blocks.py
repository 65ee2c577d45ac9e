"""Block Kit of a bulk invite: the list of bad rows with its choice, the progress message
and its closing form, and the modal's file field (pure: built with slack_sdk.models)."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    SectionBlock,
)

from invite_bot.domain.addresses import shown
from invite_bot.domain.bulk import Check, Row
from invite_bot.domain.bulk_progress import Tally, progress_bar, progress_line, summary_line
from invite_bot.domain.text import escape_mrkdwn, truncate
from invite_bot.slack.blockkit import Message, as_dicts, mrkdwn, pack

BULK_START = "bulk_start"
BULK_DISCARD = "bulk_discard"
BULK_CANCEL = "bulk_cancel"
BAD_ROWS_SHOWN = 40  # rows listed in the message; the rest are counted


def bad_row_line(row: Row) -> str:
    typed = shown(row.typed) if "@" in row.typed else row.typed
    what = f"`{escape_mrkdwn(typed[:80])}`" if typed else "(empty)"
    return f"• row {row.number}: {what}: {escape_mrkdwn(row.problem or 'not usable')}"


def _bad_sections(bad: Sequence[Row]) -> list[Block]:
    lines = [bad_row_line(row) for row in bad[:BAD_ROWS_SHOWN]]
    if len(bad) > BAD_ROWS_SHOWN:
        lines.append(f"…and {len(bad) - BAD_ROWS_SHOWN:,} more.")
    return [
        SectionBlock(block_id=f"bad:{i}", text=mrkdwn(text)) for i, text in enumerate(pack(lines))
    ]


def confirm_message(check: Check, *, source: str, draft_id: str) -> Message:
    """The bad rows (row number, reason) and the choice: invite the good ones, or cancel."""
    good, bad = len(check.good), len(check.bad)
    head = (
        f"*{escape_mrkdwn(source)}*: {good:,} address{'es' if good != 1 else ''} can be "
        f"invited; {bad:,} row{'s' if bad != 1 else ''} cannot:"
    )
    blocks: list[Block] = [SectionBlock(block_id="bulk_head", text=mrkdwn(head))]
    blocks.extend(_bad_sections(check.bad))
    buttons = []
    if good:
        buttons.append(
            ButtonElement(
                text=f"Invite the {good:,} good ones"[:75],
                action_id=BULK_START,
                value=draft_id,
                style="primary",
            )
        )
    buttons.append(ButtonElement(text="Cancel", action_id=BULK_DISCARD, value=draft_id))
    blocks.append(ActionsBlock(block_id="bulk_choice", elements=buttons))
    text = f"{source}: {good} can be invited, {bad} rows cannot."
    return Message(text=truncate(text, 3000), blocks=as_dicts(blocks))


def refused_message(source: str, reason: str) -> Message:
    text = f":warning: *{escape_mrkdwn(source)}*: nothing was sent. {escape_mrkdwn(reason)}"
    return Message(text=truncate(text, 3000), blocks=as_dicts([SectionBlock(text=mrkdwn(text))]))


def progress_message(
    tally: Tally,
    *,
    inviter_id: str,
    job_id: int | None,
    left: float | None,
    finished: bool = False,
    cancelled: bool = False,
    report: str | None = None,
) -> Message:
    """The one message of a bulk invite: progress with Cancel while it runs; at the end
    the counts by outcome, what a cancel left undone, and where the report is."""
    if finished:
        return _finished_message(tally, inviter_id=inviter_id, cancelled=cancelled, report=report)
    line = progress_line(tally, left)
    bar = progress_bar(tally.done, tally.total)
    stopping = " · stopping after the requests in flight" if cancelled else ""
    head = f"<@{inviter_id}> is inviting {tally.total:,} addresses{stopping}"
    blocks: list[Block] = [
        SectionBlock(block_id="bulk_progress", text=mrkdwn(f"{head}\n*{line}*\n`{bar}`")),
    ]
    if job_id is not None and not cancelled:
        blocks.append(ActionsBlock(block_id="bulk_actions", elements=[_cancel_button(job_id)]))
    return Message(text=truncate(f"{head}: {line}", 3000), blocks=as_dicts(blocks))


def _finished_message(
    tally: Tally, *, inviter_id: str, cancelled: bool, report: str | None
) -> Message:
    """The closing form: the counts by outcome, what a cancel left undone, the report."""
    head = f"<@{inviter_id}>'s bulk invite of {tally.total:,} addresses "
    head += "was cancelled" if cancelled else "is done"
    body = f"{head}: {summary_line(tally)}."
    blocks: list[Block] = [SectionBlock(block_id="bulk_summary", text=mrkdwn(body))]
    if cancelled:
        blocks.append(
            ContextBlock(
                block_id="bulk_cancelled",
                elements=[
                    mrkdwn(
                        "Cancelled: the invitations already sent stay sent; "
                        f"{tally.cancelled:,} addresses were not sent."
                    )
                ],
            )
        )
    blocks.append(
        ContextBlock(
            block_id="bulk_report",
            elements=[mrkdwn(report or "The report (a CSV of every address) is in the thread.")],
        )
    )
    return Message(text=truncate(body, 3000), blocks=as_dicts(blocks))


def _cancel_button(job_id: int) -> ButtonElement:
    """Cancel, behind Slack's confirm dialog."""
    return ButtonElement(
        text="Cancel",
        action_id=BULK_CANCEL,
        value=str(job_id),
        style="danger",
        confirm=ConfirmObject(
            title="Stop this bulk invite?",
            text="The invitations already sent stay sent; the rest are not sent.",
            confirm="Stop it",
            deny="Keep going",
            style="danger",
        ),
    )
