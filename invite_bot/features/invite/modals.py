"""The modals: `/gencove invite` without addresses (with a CSV field for an inviter) and
`/gencove link` (paste a personal API key). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from invite_bot.domain.text import truncate
from invite_bot.slack.blockkit import (
    ADDRESSES_BLOCK,
    ADDRESSES_INPUT,
    API_KEY_BLOCK,
    API_KEY_INPUT,
    FILE_BLOCK,
    FILE_INPUT,
    INVITE_MODAL,
    LINK_MODAL,
    ROLE_BLOCK,
    ROLE_INPUT,
    mrkdwn,
)


def invite_modal(
    roles: Sequence[str], *, default_role: str | None, metadata: str, bulk: bool = False
) -> View:
    """The modal `/gencove invite` with no address opens; `bulk`: with a CSV file field,
    and a long list (or a file) makes a bulk invite."""
    role_options = [Option(text=truncate(r, 75), value=truncate(r, 150)) for r in roles[:100]]
    initial = next((o for o in role_options if o.value == default_role), None)
    hint = "One or more, separated by new lines, spaces, commas or semicolons."
    if bulk:
        hint += " A long list, or a CSV file below, becomes a bulk invite."
    blocks: list[Block] = [
        InputBlock(
            block_id=ADDRESSES_BLOCK,
            label="Email addresses",
            hint=hint,
            optional=bulk,  # a file alone will do
            element=PlainTextInputElement(
                action_id=ADDRESSES_INPUT,
                multiline=True,
                placeholder="ana@lab.org\nbob@lab.org",
            ),
        )
    ]
    if bulk:
        blocks.append(
            InputBlock(
                block_id=FILE_BLOCK,
                label="Or a CSV file",
                optional=True,
                hint="email[,role] per line; a header is optional; comma or semicolon separated.",
                element=FileInputElement(
                    action_id=FILE_INPUT, filetypes=["csv", "txt"], max_files=1
                ),
            )
        )
    if role_options:
        blocks.append(
            InputBlock(
                block_id=ROLE_BLOCK,
                label="Role",
                optional=True,
                element=StaticSelectElement(
                    action_id=ROLE_INPUT,
                    placeholder="Organization's default",
                    options=role_options,
                    initial_option=initial,
                ),
            )
        )
    return View(
        type="modal",
        callback_id=INVITE_MODAL,
        title=PlainTextObject(text="Invite to Gencove"),
        submit=PlainTextObject(text="Invite"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata,
        blocks=blocks,
    )


def bulk_invite_modal(roles: Sequence[str], *, default_role: str | None, metadata: str) -> View:
    """The invite modal for an inviter: with the CSV file field (see `invite_modal`)."""
    return invite_modal(roles, default_role=default_role, metadata=metadata, bulk=True)


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
