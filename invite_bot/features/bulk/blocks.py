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
from invite_bot.domain.bulk_progress import (
    Tally,
    counted,
    progress_bar,
    progress_line,
    summary_line,
)
from invite_bot.domain.text import escape_mrkdwn, truncate
from invite_bot.slack.blockkit import Message, as_dicts, mrkdwn, pack

BULK_START = "bulk_start"
BULK_DISCARD = "bulk_discard"
BULK_CANCEL = "bulk_cancel"
BAD_ROWS_SHOWN = 40  # rows listed in the message; the rest are counted
# What became of the report (`InviteJob.report`): these, or "<word>:<Slack's error>".
REPORT_UPLOADED = "uploaded"
REPORT_RETRY = "retry"  # not up yet; tried again (a look in the thread first)
REPORT_FAILED = "failed"  # Slack refused it: not tried again


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
        f"*{escape_mrkdwn(source)}*: {counted(good, 'address', 'addresses')} can be "
        f"invited; {counted(bad, 'row')} cannot (they are skipped):"
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
    text = f"{source}: {good:,} can be invited, {counted(bad, 'row')} cannot."
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
    the counts by outcome, what a cancel left undone, and what became of the report."""
    if finished:
        return _finished_message(tally, inviter_id=inviter_id, cancelled=cancelled, report=report)
    line = progress_line(tally, left)
    bar = progress_bar(tally.done, tally.total)
    stopping = " · stopping after the requests in flight" if cancelled else ""
    what = counted(tally.total, "address", "addresses")
    head = f"<@{inviter_id}> is inviting {what}{stopping}"
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
    head = f"<@{inviter_id}>'s bulk invite of {counted(tally.total, 'address', 'addresses')} "
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
                        f"{counted(tally.cancelled, 'address', 'addresses')} "
                        f"{'was' if tally.cancelled == 1 else 'were'} not sent."
                    )
                ],
            )
        )
    blocks.append(ContextBlock(block_id="bulk_report", elements=[mrkdwn(report_line(report))]))
    return Message(text=truncate(body, 3000), blocks=as_dicts(blocks))


def report_line(report: str | None) -> str:
    """What became of the report (`InviteJob.report`), said under the closing summary:
    the thread has it only once it is there."""
    word, _, error = (report or "").partition(":")
    said = f"`{escape_mrkdwn(error)}`"
    if word == REPORT_UPLOADED:
        return "The report (a CSV of every address) is in the thread."
    if word == REPORT_FAILED:
        return f":warning: The report could not be uploaded: Slack refused it ({said})."
    if word == REPORT_RETRY:
        return (
            f":warning: The report is not in the thread yet: Slack did not take it ({said}). "
            "The bot tries again in a minute."
        )
    return "The report (a CSV of every address) is being uploaded into the thread."


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
