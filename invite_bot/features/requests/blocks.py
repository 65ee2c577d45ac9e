"""Block Kit for invite requests: the request message, the lists, the Deny and Ask modals.

Pure functions of a stored `InviteRequest` (and, once approved, its invite job's rows).
Everything a member typed (addresses, reason, role) goes through `esc()`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from invite_bot.domain.addresses import shown
from invite_bot.domain.records import InviteRow
from invite_bot.domain.requests import MAX_REASON
from invite_bot.domain.text import slack_date, truncate
from invite_bot.features.invite.modals import invite_modal
from invite_bot.features.invite.result import invite_result
from invite_bot.features.invite.rows import row_line
from invite_bot.slack.blockkit import MAX_BLOCKS, SECTION_TEXT, Message, esc
from invite_bot.store import InviteRequest

# action and callback ids
APPROVE = "request_approve"
DENY = "request_deny"
WITHDRAW = "request_withdraw"
DENY_MODAL = "request_deny_modal"
DENY_REASON_BLOCK = "deny_reason"
DENY_REASON_INPUT = "deny_reason_input"
ASK_MODAL = "invite_ask_modal"
WHY_BLOCK = "why"
WHY_INPUT = "why_input"

LISTED = 20  # requests per `/gencove requests` answer

STATUS_LINE = {
    "approved": ":white_check_mark: *Approved* by <@{by}>",
    "denied": ":no_entry_sign: *Denied* by <@{by}>",
    "withdrawn": ":leftwards_arrow_with_hook: *Withdrawn* by <@{by}>",
    "expired": ":hourglass: *Expired* {when} without a decision",
}


def _md(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(text, SECTION_TEXT))


def addresses_text(addresses: Sequence[str], *, limit: int = 10) -> str:
    """The addresses as the messages list them: escaped, the first `limit`, then a count."""
    named = ", ".join(f"*{esc(shown(a))}*" for a in addresses[:limit])
    hidden = len(addresses) - limit
    return named + (f" and {hidden} more" if hidden > 0 else "")


def _plural(count: int) -> str:
    return f"{count} address" + ("" if count == 1 else "es")


def request_summary(request: InviteRequest) -> str:
    """One paragraph: who asks for whom, the role, why, where and until when."""
    lines = [
        f":raising_hand: <@{request.requester_slack_id}> asks to invite "
        f"{_plural(len(request.addresses))}: {addresses_text(request.addresses)}",
        f"Role: {esc(request.role) if request.role else 'the organization default'}",
    ]
    if request.reason:
        lines.append(f"Why: {esc(request.reason)}")
    lines.append(f"Asked in <#{request.channel_id}> · open until {slack_date(request.expires_at)}")
    return "\n".join(lines)


def status_line(request: InviteRequest) -> str:
    """How the request ended (empty while open)."""
    template = STATUS_LINE.get(request.status)
    if template is None:
        return ""
    line = template.format(
        by=request.decided_by or request.requester_slack_id,
        when=slack_date(request.expires_at),
    )
    if request.status == "denied" and request.decision_note:
        line += f": {esc(request.decision_note)}"
    return line


def decision_buttons(request_id: int, *, block_id: str) -> ActionsBlock:
    value = str(request_id)
    return ActionsBlock(
        block_id=block_id,
        elements=[
            ButtonElement(text="Approve", action_id=APPROVE, value=value, style="primary"),
            ButtonElement(text="Deny", action_id=DENY, value=value, style="danger"),
        ],
    )


def withdraw_button(request_id: int) -> ButtonElement:
    return ButtonElement(
        text="Withdraw",
        action_id=WITHDRAW,
        value=str(request_id),
        confirm=ConfirmObject(
            title="Withdraw this request?",
            text="The inviters will no longer be asked.",
            confirm="Withdraw",
            deny="Keep it",
        ),
    )


def request_message(
    request: InviteRequest, *, rows: Sequence[InviteRow] | None = None, inviter_id: str = ""
) -> Message:
    """The message posted for a request, and what it becomes once decided: Approve and
    Deny while open; then who decided and, once approved, each address's result with its
    Revoke button (the invite job's rows)."""
    blocks: list[Block] = [SectionBlock(block_id="request", text=_md(request_summary(request)))]
    text = f"<@{request.requester_slack_id}> asks to invite " + ", ".join(request.addresses)
    if request.status == "open":
        blocks.append(decision_buttons(request.id, block_id="request_actions"))
    else:
        line = status_line(request)
        blocks.append(ContextBlock(block_id="request_status", elements=[_md(line)]))
        text = f"{line} — {text}"
    message = Message(text=truncate(text, 3000), blocks=[b.to_dict() for b in blocks])
    if rows is None:
        return message
    result = invite_result(rows, inviter_id=inviter_id or request.decided_by or "")
    room = MAX_BLOCKS - len(message.blocks)
    return Message(text=message.text, blocks=[*message.blocks, *result.blocks[:room]])


def reminder_message(request: InviteRequest, *, waited: str) -> Message:
    """The one reminder of a request nobody decided: how long it has waited, the request,
    and the same Approve and Deny buttons."""
    header = (
        f":alarm_clock: *Still waiting for a decision:* this request has waited {waited} "
        f"(asked {slack_date(request.created_at)})."
    )
    blocks: list[Block] = [
        SectionBlock(block_id="request_reminder", text=_md(header)),
        SectionBlock(block_id="request", text=_md(request_summary(request))),
        decision_buttons(request.id, block_id="request_actions"),
    ]
    text = f"Reminder: <@{request.requester_slack_id}> has waited {waited} to invite " + ", ".join(
        request.addresses
    )
    return Message(text=truncate(text, 3000), blocks=[b.to_dict() for b in blocks])


def still_waiting(request: InviteRequest, *, waited: str) -> Message:
    """The member who asked is told their request still waits, and that it was reminded."""
    text = (
        f":hourglass_flowing_sand: Your request to invite {addresses_text(request.addresses)} "
        f"has waited {waited} and no inviter has decided yet, so they were reminded. It stays "
        f"open until {slack_date(request.expires_at)}."
    )
    block = SectionBlock(
        block_id="still_waiting", text=_md(text), accessory=withdraw_button(request.id)
    )
    return Message(text=truncate(text, 3000), blocks=[block.to_dict()])


def requests_list(requests: Sequence[InviteRequest], *, as_inviter: bool) -> Message:
    """`/gencove requests`: every open request (an inviter) or one's own (a member)."""
    if not requests:
        text = (
            "There are no open invite requests."
            if as_inviter
            else "You have no open invite requests. `/gencove invite EMAIL` asks for one."
        )
        return Message(text=text, blocks=[SectionBlock(text=_md(text)).to_dict()])
    shown_requests = requests[:LISTED]
    header = (
        f"*{len(requests)} open invite request{'s' if len(requests) != 1 else ''}*"
        if as_inviter
        else f"*Your open invite request{'s' if len(requests) != 1 else ''}*"
    )
    if len(requests) > LISTED:
        header += f" · the oldest {LISTED}"
    blocks: list[Block] = [SectionBlock(block_id="requests_header", text=_md(header))]
    for request in shown_requests:
        if as_inviter:
            summary = SectionBlock(block_id=f"req:{request.id}", text=_md(request_summary(request)))
            blocks.append(summary)
            blocks.append(decision_buttons(request.id, block_id=f"req_actions:{request.id}"))
        else:
            blocks.append(
                SectionBlock(
                    block_id=f"req:{request.id}",
                    text=_md(request_summary(request)),
                    accessory=withdraw_button(request.id),
                )
            )
    return Message(text=header, blocks=[b.to_dict() for b in blocks])


def withdrawn(request: InviteRequest, remaining: Sequence[InviteRequest]) -> Message:
    """The one answer to Withdraw, in place of the message clicked: the request is closed,
    and the member's other open requests (if any) still listed with their buttons."""
    text = (
        f"Withdrawn: your request to invite {addresses_text(request.addresses)}. "
        "The inviters are no longer asked."
    )
    first = SectionBlock(block_id="withdrawn", text=_md(text)).to_dict()
    if not remaining:
        return Message(text=text, blocks=[first])
    rest = requests_list(remaining, as_inviter=False)
    return Message(text=text, blocks=[first, *rest.blocks][:MAX_BLOCKS])


def asked(request: InviteRequest, *, where: str) -> Message:
    """The private confirmation for the member who asked, with a Withdraw button."""
    text = (
        f"Asked the inviters to invite {addresses_text(request.addresses)} ({where}). "
        "You will get a direct message when one of them decides."
    )
    blocks = [SectionBlock(block_id="asked", text=_md(text), accessory=withdraw_button(request.id))]
    return Message(text=truncate(text, 3000), blocks=[b.to_dict() for b in blocks])


def outcome_note(request: InviteRequest, rows: Sequence[InviteRow] = ()) -> Message:
    """The direct message telling the member who asked how their request ended."""
    what = f"Your request to invite {addresses_text(request.addresses)}"
    if request.status == "approved":
        lines = [f"{what} was approved by <@{request.decided_by}>:"]
        lines += [row_line(row) for row in rows]
    elif request.status == "denied":
        reason = f": {esc(request.decision_note)}" if request.decision_note else "."
        lines = [f"{what} was denied by <@{request.decided_by}>{reason}"]
    elif request.status == "expired":
        lines = [
            f"{what} expired without a decision. Ask again with `/gencove invite` if it is "
            "still needed."
        ]
    else:
        lines = [f"{what} was withdrawn."]
    text = truncate("\n".join(lines), SECTION_TEXT)
    return Message(text=text, blocks=[SectionBlock(text=_md(text)).to_dict()])


def deny_modal(request: InviteRequest, *, metadata: dict[str, str]) -> View:
    """The small modal Deny opens: an optional reason the member will read."""
    return View(
        type="modal",
        callback_id=DENY_MODAL,
        title=PlainTextObject(text="Deny the request"),
        submit=PlainTextObject(text="Deny"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({**metadata, "request_id": str(request.id)}),
        blocks=[
            SectionBlock(text=_md(request_summary(request))),
            InputBlock(
                block_id=DENY_REASON_BLOCK,
                label="Reason",  # Slack adds "(optional)" to an optional field's label
                hint="The member who asked reads it.",
                optional=True,
                element=PlainTextInputElement(
                    action_id=DENY_REASON_INPUT, multiline=True, max_length=MAX_REASON
                ),
            ),
        ],
    )


def ask_modal(roles: Sequence[str], *, default_role: str | None, metadata: str) -> View:
    """The invite form for a member who may not invite: the same fields, a "Why?" field,
    and it says that it asks the inviters."""
    view = invite_modal(roles, default_role=default_role, metadata=metadata)
    view.callback_id = ASK_MODAL
    view.title = PlainTextObject(text="Ask for an invitation")
    view.submit = PlainTextObject(text="Ask")
    note = ContextBlock(
        elements=[
            _md(
                "You are not an inviter, so this *asks the inviters*: one of them approves "
                "or denies it, and you get a direct message either way."
            )
        ]
    )
    why = InputBlock(
        block_id=WHY_BLOCK,
        label="Why?",
        optional=True,
        element=PlainTextInputElement(
            action_id=WHY_INPUT,
            multiline=True,
            max_length=MAX_REASON,
            placeholder="A collaborator on the sequencing project",
        ),
    )
    view.blocks = [note, *view.blocks, why]
    return view
