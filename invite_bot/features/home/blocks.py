"""The Home tab in Block Kit: what waits for the person, with the buttons of the features
they belong to (Revoke, Approve / Deny, Withdraw, Link / Unlink, the notification
settings, the invite form). Pure: no I/O.

At most 100 blocks (`slack/blockkit.home_view`): everything but the pending invitations
takes a bounded number of blocks, and the invitations get the rest, the newest first;
those that do not fit are counted ("and N more — /gencove list").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from invite_bot.domain.addresses import shown
from invite_bot.domain.records import InviteRequest, KnownInvitation, LinkedAccount
from invite_bot.domain.text import slack_date
from invite_bot.features.accounts.blocks import link_button, unlink_button
from invite_bot.features.invite.modals import invite_form_button
from invite_bot.features.notify.buttons import (
    channel_off_button,
    channel_select,
    notify_me_button,
)
from invite_bot.features.requests.blocks import (
    decision_buttons,
    request_summary,
    withdraw_button,
)
from invite_bot.features.revoke.blocks import revoke_button
from invite_bot.slack.blockkit import (
    MAX_VIEW_BLOCKS,
    STATUS_ICON,
    by_whom,
    esc,
    home_view,
    mrkdwn,
)

SHOWN_REQUESTS = 10  # open requests on the Home tab (two blocks each for an inviter)
SHOWN_CHANNELS = 5  # subscribed channels listed, each with its Stop button
COUNTED_DAYS = 30
COUNTED = ("pending", "accepted", "expired", "revoked")


@dataclass(frozen=True)
class HomeFacts:
    """Everything one person's Home tab shows (read from the store)."""

    user_id: str
    as_inviter: bool
    linking_on: bool
    linked: LinkedAccount | None
    notify_me: bool
    own_requests: Sequence[InviteRequest] = ()
    # an inviter's only: the workspace's side
    open_requests: Sequence[InviteRequest] = ()
    open_request_count: int = 0
    pending: Sequence[KnownInvitation] = ()
    pending_total: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    channels: Sequence[str] = ()
    fixed_channel: str | None = None  # INVITE_NOTIFY_CHANNEL


def home_tab(facts: HomeFacts, *, channel_id: str | None) -> dict[str, Any]:
    """The person's Home tab; `channel_id` (the bot's DM with them) is where the features
    answer a click on it privately."""
    blocks: list[Block] = [
        HeaderBlock(text="Gencove invitations"),
        ActionsBlock(
            block_id="home_invite", elements=[invite_form_button(as_inviter=facts.as_inviter)]
        ),
        *_account(facts),
        *_notifications(facts),
        *_own_requests(facts),
    ]
    if facts.as_inviter:
        blocks += [*_counts(facts), *_open_requests(facts)]
        blocks += _pending(facts, room=MAX_VIEW_BLOCKS - len(blocks))
    metadata = json.dumps({"channel_id": channel_id}) if channel_id else ""
    return home_view(blocks, private_metadata=metadata)


def _section(block_id: str, text: str, accessory: Any = None) -> SectionBlock:
    return SectionBlock(block_id=block_id, text=mrkdwn(text), accessory=accessory)


def _account(facts: HomeFacts) -> list[Block]:
    """Their linked Gencove identity, with Link or Unlink (when linking is set up)."""
    blocks: list[Block] = [DividerBlock()]
    if facts.linked is not None:
        text = (
            f"*Your Gencove account:* {esc(facts.linked.gencove_email)}\n"
            "What you do from Slack is done as you at Gencove."
        )
        blocks.append(_section("home_account", text, unlink_button()))
    elif facts.linking_on:
        text = (
            "*Your Gencove account:* not linked. Link it to accept your invitations from "
            "Slack, and to invite and revoke as yourself."
        )
        blocks.append(_section("home_account", text, link_button()))
    else:
        text = "*Your Gencove account:* linking accounts is not set up on this bot."
        blocks.append(_section("home_account", text))
    return blocks


def _notifications(facts: HomeFacts) -> list[Block]:
    """Their own DMs (anyone), and the workspace's channels (changeable by an inviter)."""
    mine = (
        "*Direct messages about your invitations:* on (accepted, expired, revoked by someone else)"
        if facts.notify_me
        else "*Direct messages about your invitations:* off"
    )
    blocks: list[Block] = [
        DividerBlock(),
        _section("home_notify_me", mine, notify_me_button(on_now=facts.notify_me)),
    ]
    channels = list(facts.channels)
    if facts.fixed_channel:
        fixed = f"Always to <#{facts.fixed_channel}> (set by `INVITE_NOTIFY_CHANNEL`)."
        blocks.append(ContextBlock(block_id="home_notify_fixed", elements=[mrkdwn(fixed)]))
    if not facts.as_inviter:
        if channels:
            named = ", ".join(f"<#{c}>" for c in channels)
            blocks.append(
                ContextBlock(
                    block_id="home_notify_channels",
                    elements=[mrkdwn(f"Channels told of invitation changes: {named}")],
                )
            )
        return blocks
    for channel in channels[:SHOWN_CHANNELS]:
        blocks.append(
            _section(
                f"home_channel:{channel}",
                f"<#{channel}> hears of invitation changes",
                channel_off_button(channel),
            )
        )
    hidden = len(channels) - SHOWN_CHANNELS
    text = f"and {hidden} more channels (`/gencove notify`)" if hidden > 0 else ""
    if not channels:
        text = "No channel hears of invitation changes yet."
    blocks.append(_section("home_notify_add", text or "Another channel:", channel_select()))
    return blocks


def _own_requests(facts: HomeFacts) -> list[Block]:
    """Their own open requests, each with Withdraw (a member; an inviter has none)."""
    if not facts.own_requests and facts.as_inviter:
        return []
    blocks: list[Block] = [DividerBlock()]
    if not facts.own_requests:
        text = "*Your open invite requests:* none."
        return [*blocks, _section("home_own_requests", text)]
    blocks.append(_section("home_own_requests", "*Your open invite requests*"))
    for request in facts.own_requests[:SHOWN_REQUESTS]:
        blocks.append(
            _section(
                f"home_own:{request.id}", request_summary(request), withdraw_button(request.id)
            )
        )
    return blocks


def _counts(facts: HomeFacts) -> list[Block]:
    parts = [f"{STATUS_ICON[status]} {facts.counts.get(status, 0)} {status}" for status in COUNTED]
    text = f"*The last {COUNTED_DAYS} days:* " + " · ".join(parts)
    return [DividerBlock(), _section("home_counts", text)]


def _open_requests(facts: HomeFacts) -> list[Block]:
    """Open invite requests, each with Approve / Deny (the oldest first, as they wait)."""
    blocks: list[Block] = [DividerBlock()]
    if not facts.open_requests:
        return [*blocks, _section("home_requests", "*Open invite requests:* none.")]
    header = f"*Open invite requests ({facts.open_request_count})*"
    hidden = facts.open_request_count - len(facts.open_requests)
    if hidden > 0:
        header += f" · the oldest {len(facts.open_requests)}; `/gencove requests` has them all"
    blocks.append(_section("home_requests", header))
    for request in facts.open_requests[:SHOWN_REQUESTS]:
        blocks.append(_section(f"home_req:{request.id}", request_summary(request)))
        blocks.append(decision_buttons(request.id, block_id=f"home_req_actions:{request.id}"))
    return blocks


def _pending(facts: HomeFacts, *, room: int) -> list[Block]:
    """Pending invitations, the newest first, each with Revoke, within `room` blocks."""
    if not facts.pending:
        return [DividerBlock(), _section("home_pending", "*Pending invitations:* none.")]
    header = f"*Pending invitations ({facts.pending_total})*, the newest first"
    fits = min(len(facts.pending), room - 2)  # the divider and the header
    hidden = facts.pending_total - fits
    if hidden > 0:
        fits = min(len(facts.pending), room - 3)  # and the closing count
        hidden = facts.pending_total - fits
    blocks: list[Block] = [DividerBlock(), _section("home_pending", header)]
    for invitation in facts.pending[:fits]:
        blocks.append(
            _section(
                f"home_inv:{invitation.id}",
                _invitation_line(invitation),
                revoke_button(invitation.id, invitation.email),
            )
        )
    if hidden > 0:
        more = f"and {hidden} more — `/gencove list`"
        blocks.append(ContextBlock(block_id="home_pending_more", elements=[mrkdwn(more)]))
    return blocks


def _invitation_line(invitation: KnownInvitation) -> str:
    role = f" · {esc(invitation.role)}" if invitation.role else ""
    inviter = by_whom(invitation.inviter_slack_id).removeprefix(" by ")
    who = f" · invited by {inviter}" if inviter else ""
    return (
        f"{STATUS_ICON['pending']} *{esc(shown(invitation.email))}*{role}{who}\n"
        f"Expires {slack_date(invitation.expires)}"
    )
