"""What `/gencove accept` shows about an invitation: the card, with Accept (or Link
account first) while it is pending. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from invite_bot.domain.text import slack_date, truncate
from invite_bot.slack.blockkit import STATUS_ICON, Message, as_dicts, esc, mrkdwn


@dataclass(frozen=True)
class Card:
    """What `/gencove accept` shows about an invitation."""

    token: str
    organization: str
    role: str
    status: str
    expires: datetime | None
    linked: bool


def accept_card(card: Card, *, note: str | None = None) -> Message:
    icon = STATUS_ICON.get(card.status, ":grey_question:")
    lines = [
        f"*Invitation to {esc(card.organization)}*",
        f"Role: {esc(card.role) or 'default'}",
        f"Status: {icon} {esc(card.status)}",
        f"Expires: {slack_date(card.expires)}",
    ]
    blocks: list[Block] = [SectionBlock(block_id="card", text=mrkdwn("\n".join(lines)))]
    if note:
        blocks.append(ContextBlock(elements=[mrkdwn(note)]))
    if card.status == "pending":
        if card.linked:
            button = ButtonElement(
                text="Accept", action_id=ACCEPT, value=card.token[:2000], style="primary"
            )
        else:
            blocks.append(
                ContextBlock(
                    elements=[
                        mrkdwn(
                            "Gencove accepts an invitation only for the person it was sent "
                            "to: link your Gencove account first."
                        )
                    ]
                )
            )
            button = ButtonElement(
                text="Link account", action_id=LINK_FROM_CARD, value=card.token[:2000]
            )
        blocks.append(ActionsBlock(block_id="card_actions", elements=[button]))
    return Message(text=truncate(lines[0], 3000), blocks=as_dicts(blocks))


ACCEPT = "accept_invitation"


LINK_FROM_CARD = "link_from_card"


LINK_MODAL = "link_modal"


API_KEY_BLOCK = "api_key"


API_KEY_INPUT = "api_key_input"


def link_modal(*, metadata: str) -> View:
    """The modal `/gencove link` opens to paste a personal API key."""
    return View(
        type="modal",
        callback_id=LINK_MODAL,
        title=PlainTextObject(text="Link Gencove account"),
        submit=PlainTextObject(text="Link"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=[
            SectionBlock(
                text=mrkdwn(
                    "Paste a personal API key from Gencove (Account → API keys). The bot "
                    "stores it encrypted and uses it only for what *you* do from Slack: "
                    "accepting your invitations, and inviting or revoking as you."
                )
            ),
            InputBlock(
                block_id=API_KEY_BLOCK,
                label="Gencove API key",
                element=PlainTextInputElement(action_id=API_KEY_INPUT, max_length=500),
            ),
        ],
    )


LINKING_OFF = (
    "Linking a Gencove account is not turned on for this bot yet; ask whoever runs the bot "
    "to turn it on."
)


LINK = "account_link"  # Link (the Home tab): opens the link form
UNLINK = "account_unlink"  # Unlink (the Home tab), after Slack's confirm dialog


def link_button() -> ButtonElement:
    return ButtonElement(text="Link account", action_id=LINK, value="link", style="primary")


def unlink_button() -> ButtonElement:
    return ButtonElement(
        text="Unlink",
        action_id=UNLINK,
        value="unlink",
        confirm=ConfirmObject(
            title="Unlink your account?",
            text="The bot forgets your Gencove key; it acts with the organization's again.",
            confirm="Unlink",
            deny="Keep it",
        ),
    )
