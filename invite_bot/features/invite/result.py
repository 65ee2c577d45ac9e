"""The result message of a plain invite: ONE message in the channel, a section per address
with its Revoke (or Re-invite) button, and the job kind that shows it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    SectionBlock,
)

from invite_bot.domain.records import InviteRow
from invite_bot.domain.text import truncate
from invite_bot.features.invite.rows import (
    DETAILED_ROWS,
    row_block_id,
    row_button,
    row_line,
)
from invite_bot.jobs.kinds import JobKind, JobKinds
from invite_bot.slack.blockkit import (
    MAX_BLOCKS,
    Message,
    as_dicts,
    mrkdwn,
    pack,
)
from invite_bot.store import (
    InviteJob,
)

# What the inviter alone is told when the job made nothing new (see nothing_new.py).
Private = Callable[[InviteJob, list[InviteRow]], Awaitable[Message | None]]


def invite_result(rows: Sequence[InviteRow], *, inviter_id: str) -> Message:
    """The ONE in-channel message an invite command posts (and later updates): its header
    says what the command did, for good ("@ada invited 3 addresses"); each row says where
    its invitation stands now (accepted, revoked, expired…)."""
    summary = f"<@{inviter_id}> {what_was_done(rows)}"
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


def what_was_done(rows: Sequence[InviteRow]) -> str:
    """ "invited 3 addresses", "invited 2 of 3 addresses (1 already invited)": what the job
    did, whatever became of its invitations since. A re-invite's new row (right after the
    row it re-invited) is not the job's and is not counted."""
    own = _own_rows(rows)
    counts = Counter(_outcome(row) for row in own)
    made, total = counts["invited"], len(own)
    noun = "address" if total == 1 else "addresses"
    if made == total:
        done = f"invited {total} {noun}"
    else:
        done = f"invited {'none' if made == 0 else made} of {total} {noun}"
    members = counts["member"]
    notes = [
        f"{counts[outcome]} {label}"
        for outcome, label in (
            ("existing", "already invited"),
            ("member", "already a member" if members == 1 else "already members"),
            ("unsure", "not confirmed"),
            ("failed", "failed"),
            ("working", "still being invited"),
        )
        if counts[outcome]
    ]
    return done + (f" ({', '.join(notes)})" if notes else "")


def made_something(rows: Sequence[InviteRow]) -> bool:
    """Whether the job made an invitation (or may have: Gencove's answer was lost)."""
    return any(_outcome(row) in ("invited", "unsure", "working") for row in _own_rows(rows))


def _own_rows(rows: Sequence[InviteRow]) -> list[InviteRow]:
    own: list[InviteRow] = []
    for row in rows:
        follows = own[-1] if own else None
        if follows is not None and follows.reinvited_by and follows.email == row.email:
            continue  # the re-invite's new invitation, shown under the old one
        own.append(row)
    return own


def _outcome(row: InviteRow) -> str:
    """What the job did for one address: "invited" once it made an invitation (whatever its
    status now), "existing", or the row's own outcome (member, unsure, failed, working)."""
    if row.status in ("pending", "accepted", "expired", "revoked"):
        return "existing" if row.existing else "invited"
    return row.status if row.status in ("member", "unsure", "working") else "failed"


def _compact(rows: Sequence[InviteRow], max_sections: int) -> list[Block]:
    """Pack row lines into as few sections as fit, each under the text limit."""
    sections = pack(row_line(row) for row in rows)
    if len(sections) > max_sections:
        hidden = len(sections) - max_sections + 1
        sections = [*sections[: max_sections - 1], f"…and {hidden} more groups of addresses."]
    return [
        SectionBlock(block_id=f"rows:{i}", text=mrkdwn(text)) for i, text in enumerate(sections)
    ]


def plain_kind(kinds: JobKinds, *, private: Private | None = None) -> JobKind:
    """The job kind "invite": a command, the modal, a re-invite, an approved request. Its
    message is `invite_result`; a job that started in a message another feature owns shows
    its results there, as that feature renders it (an approved request under the request;
    a re-invite clicked on a notification or reminder in that notice). `private`: what the
    inviter alone is told instead, when the job made nothing new."""

    async def render(job: InviteJob, rows: list[InviteRow], finished: bool) -> Message:
        if job.message_channel_id and job.message_ts:
            owned = await kinds.owned(job.message_channel_id, job.message_ts)
            if owned is not None:
                return owned
        return invite_result(rows, inviter_id=job.slack_user_id)

    return JobKind(render=render, private=private)
