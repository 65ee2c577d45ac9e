"""The modals: `/gencove invite` without addresses (with a CSV field for an inviter) and
`/gencove link` (paste a personal API key). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from invite_bot.domain.text import truncate


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


INVITE_MODAL = "invite_modal"


ADDRESSES_BLOCK = "addresses"


ADDRESSES_INPUT = "addresses_input"


ROLE_BLOCK = "role"


ROLE_INPUT = "role_input"


FILE_BLOCK = "csv_file"  # the invite modal's CSV field (a bulk invite)


FILE_INPUT = "csv_file_input"


UNKNOWN_ROLE = (
    "`{role}` is not one of the organization's roles ({roles}), so the form starts with "
    "the default role: pick one there."
)


ROLES_UNAVAILABLE = (
    "The form could not list the organization's roles ({reason}), so `{role}` is not "
    "preselected: invitations from it get the default role."
)


OPEN_INVITE_FORM = "open_invite_form"  # a button (the Home tab) that opens the form


def invite_form_button(*, as_inviter: bool) -> ButtonElement:
    """Opens the invite form: an inviter's, or the form that asks the inviters."""
    return ButtonElement(
        text="Invite to Gencove" if as_inviter else "Ask for an invitation",
        action_id=OPEN_INVITE_FORM,
        value="form",
        style="primary",
    )
