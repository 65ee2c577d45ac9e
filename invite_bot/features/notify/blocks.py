"""Block Kit for what the watcher posts on its own: notifications, reminders, DMs to the
inviter, and the one summary that replaces more than five of them to one channel.

Pure functions of domain values, like blocks.py; every string from a person or from
Gencove is escaped, every message stays within Block Kit's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    SectionBlock,
)

from invite_bot.domain.addresses import shown
from invite_bot.domain.notifications import Group, NoticeKind
from invite_bot.domain.records import InviteRow
from invite_bot.domain.text import slack_date, truncate
from invite_bot.features.invite.rows import row_button, row_line, who_changed
from invite_bot.features.reinvite.blocks import reinvite_button
from invite_bot.features.revoke.blocks import revoke_button
from invite_bot.slack.blockkit import (
    MAX_BLOCKS,
    SECTION_TEXT,
    Message,
    as_dicts,
    by_whom,
    esc,
    mrkdwn,
)

NOTICE_BLOCK = "notice"
ACTIONS_BLOCK = "notice_actions"


@dataclass(frozen=True)
class Notice:
    """One notice as it is shown: what happened to which invitation, and — once someone
    re-invited from it — by whom, and the new invitation's row."""

    kind: NoticeKind
    row: InviteRow
    inviter_id: str | None = None
    reinvited_by: str | None = None
    new_row: InviteRow | None = None
    reinviting: bool = False  # claimed, the new invitation not made yet


def notice_message(notice: Notice) -> Message:
    """A single notification, reminder or DM, with its buttons."""
    if notice.kind == "reminder":
        text = _reminder_text(notice)
    elif notice.kind == "dm":
        text = _personal_text(notice.row)
    else:
        text = notification(notice.row, inviter_id=notice.inviter_id).text
    blocks: list[Block] = [SectionBlock(block_id=NOTICE_BLOCK, text=mrkdwn(text))]
    row = notice.row
    buttons = []
    if notice.reinvited_by or notice.reinviting:
        who = by_whom(notice.reinvited_by) if notice.reinvited_by else ""
        state = "re-invited" if notice.new_row is not None else "re-inviting…"
        blocks.append(ContextBlock(elements=[mrkdwn(f":repeat: {state}{who}")]))
        if notice.new_row is not None:
            new = notice.new_row
            # A reminder is done once re-invited: it keeps no button (the new invitation
            # has its own message, with its Revoke button).
            button = None if notice.kind == "reminder" else row_button(new)
            blocks.append(
                SectionBlock(
                    block_id=f"inv:{new.invitation_id}",
                    text=mrkdwn(row_line(new)),
                    accessory=button,
                )
            )
    elif row.invitation_id and notice.kind == "reminder" and row.status == "pending":
        buttons = [
            reinvite_button(row.invitation_id, revokes=row.email),
            revoke_button(row.invitation_id, row.email),
        ]
    elif row.invitation_id and _reinvitable(notice):
        buttons = [reinvite_button(row.invitation_id)]
    if buttons:
        blocks.append(ActionsBlock(block_id=ACTIONS_BLOCK, elements=buttons))
    return Message(text=truncate(text, 3000), blocks=as_dicts(blocks))


def _reinvitable(notice: Notice) -> bool:
    if notice.kind == "dm":
        return notice.row.status in ("expired", "revoked")
    return notice.kind == "notify" and notice.row.status == "expired"


def _reminder_text(notice: Notice) -> str:
    row = notice.row
    who = f"invited by <@{notice.inviter_id}>" if notice.inviter_id else "invited outside Slack"
    role = f", role {esc(row.role)}" if row.role else ""
    if notice.reinvited_by or notice.reinviting:
        by = by_whom(notice.reinvited_by)
        done = (
            "that one was revoked and a new one sent"
            if notice.new_row is not None
            else "a new one is on its way"
        )
        return (
            f":alarm_clock: The invitation to *{esc(shown(row.email))}* was about to expire "
            f"without being accepted ({who}{role}). It was re-invited{by}: {done}."
        )
    if row.status != "pending":
        return f":alarm_clock: The invitation to {esc(shown(row.email))} is {esc(row.status)} now."
    return (
        f":alarm_clock: The invitation to *{esc(shown(row.email))}* expires "
        f"{slack_date(row.expires)} and has not been accepted ({who}{role}). Re-invite to "
        "send a fresh one, or revoke it."
    )


def _personal_text(row: InviteRow) -> str:
    email = f"*{esc(shown(row.email))}*"
    if row.status == "accepted":
        return f":white_check_mark: {email} accepted your invitation."
    if row.status == "expired":
        return f":hourglass: Your invitation to {email} expired without being accepted."
    if row.status == "revoked":
        who = who_changed(row.status, row.changed_by)
        return f":no_entry_sign: Your invitation to {email} was revoked{who}."
    return f"Your invitation to {email}: {esc(row.status)}."


_HEADINGS: dict[tuple[NoticeKind, str], tuple[str, str]] = {
    ("notify", "pending"): (":envelope:", "sent"),
    ("notify", "accepted"): (":white_check_mark:", "accepted"),
    ("notify", "expired"): (":hourglass:", "expired"),
    ("notify", "revoked"): (":no_entry_sign:", "revoked"),
    ("reminder", "pending"): (":alarm_clock:", "expire soon, not accepted yet"),
    ("dm", "accepted"): (":white_check_mark:", "of yours accepted"),
    ("dm", "expired"): (":hourglass:", "of yours expired"),
    ("dm", "revoked"): (":no_entry_sign:", "of yours revoked"),
}


def summary_message(groups: Sequence[Group[str]]) -> Message:
    """One message for many notices to one channel: a line per kind of change with every
    address (as many as Block Kit holds, then how many more). `groups` hold addresses."""
    total = sum(len(g.items) for g in groups)
    headline = f"*{total} invitation changes*" if len(groups) > 1 else ""
    texts: list[str] = [headline] if headline else []
    summary_parts: list[str] = []
    for group in groups:
        icon, verb = _HEADINGS.get((group.kind, group.status), (":grey_question:", group.status))
        count = len(group.items)
        noun = "invitation" if count == 1 else "invitations"
        head = f"{icon} *{count} {noun} {verb}:* "
        summary_parts.append(f"{count} {noun} {verb}")
        texts += _packed(head, [esc(shown(email)) for email in group.items])
    if any(g.kind == "reminder" for g in groups):
        texts.append("Re-invite or revoke them from `/gencove list pending`.")
    if any(g.kind == "notify" and g.status == "expired" for g in groups):
        texts.append("Re-invite any of them from `/gencove list expired`.")
    if len(texts) > MAX_BLOCKS:
        hidden = len(texts) - MAX_BLOCKS + 1
        texts = [*texts[: MAX_BLOCKS - 1], f"…and {hidden} more lines."]
    blocks: list[Block] = [
        SectionBlock(block_id=f"summary:{i}", text=mrkdwn(text)) for i, text in enumerate(texts)
    ]
    plain = "; ".join(summary_parts)
    return Message(text=truncate(plain, 3000), blocks=as_dicts(blocks))


@dataclass(frozen=True)
class Digest:
    """The invitations one invite job made, for one post: in the order typed."""

    inviter_id: str | None
    rows: Sequence[InviteRow]
    bulk: bool = False
    report: str | None = None  # a link to the bulk invite's message (its report's thread)
    report_channel: str | None = None  # where that message is, when no link is known


def digest_message(digest: Digest) -> Message:
    """One notification for all the invitations one invite made: a few addresses listed
    in the order they were typed, or — a bulk invite — the count and where its report is."""
    rows = digest.rows
    count = len(rows)
    who = f"<@{digest.inviter_id}>" if digest.inviter_id else "Someone"
    noun = "address" if count == 1 else "addresses"
    if digest.bulk:
        if digest.report:
            where = f"in the thread of <{digest.report}|its message>"
        elif digest.report_channel:
            where = f"with its message in <#{digest.report_channel}>"
        else:
            where = "with its message"
        text = (
            f":envelope: {who} invited {count} {noun} in a bulk invite. Its report (a CSV of "
            f"every address) is {where}."
        )
        texts = [text]
    else:
        roles = {row.role for row in rows}
        about = [f"role {esc(roles.pop())}"] if len(roles) == 1 and "" not in roles else []
        expiries = [row.expires for row in rows if row.expires]
        if len(expiries) == count and max(expiries) - min(expiries) < timedelta(minutes=1):
            about.append(f"expire {slack_date(min(expiries))}")  # made together
        head = f":envelope: {who} invited {count} {noun}"
        head += f" ({', '.join(about)}): " if about else ": "
        texts = _packed(head, [f"*{esc(shown(row.email))}*" for row in rows])
        text = f"{who} invited {count} {noun}"
    if len(texts) > MAX_BLOCKS:
        texts = [*texts[: MAX_BLOCKS - 1], "…and more; `/gencove list pending` shows them all."]
    blocks = [SectionBlock(block_id=f"digest:{i}", text=mrkdwn(t)) for i, t in enumerate(texts)]
    return Message(text=truncate(text, 3000), blocks=as_dicts(blocks))


def _packed(head: str, addresses: Sequence[str]) -> list[str]:
    """`head` then the addresses, comma-separated, in sections under the text limit."""
    sections: list[str] = []
    current = head
    for address in addresses:
        piece = address if current == head else f", {address}"
        if len(current) + len(piece) > SECTION_TEXT - 20:
            sections.append(current)
            current, piece = "", address
        current += piece
    sections.append(current)
    return sections


def reminder_row(
    email: str, role: str, expires: datetime | None, invitation_id: str, status: str = "pending"
) -> InviteRow:
    return InviteRow(
        email=email, status=status, role=role, invitation_id=invitation_id, expires=expires
    )


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
        f"{who_changed(row.status, row.changed_by)} ({who}{role})",
    }
    text = verbs.get(row.status, f"{email}: {esc(row.status)} ({who}{role})")
    return Message(text=truncate(text, 3000), blocks=as_dicts([SectionBlock(text=mrkdwn(text))]))
