"""The Re-invite button (the value is like Revoke's), and the statuses it is shown on."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
)

from invite_bot.domain.addresses import shown
from invite_bot.domain.text import truncate
from invite_bot.slack.blockkit import esc


def reinvite_button(
    invitation_id: str, *, list_page: str = "", revokes: str | None = None
) -> ButtonElement:
    """Re-invite: the same address, with the same role (the value is like Revoke's).
    `revokes`: the address of a pending invitation the click revokes first (a reminder's);
    then it asks first, in Slack's confirm dialog, as Revoke does."""
    confirm = None
    if revokes is not None:
        confirm = ConfirmObject(
            title="Re-invite?",
            text=truncate(
                f"The pending invitation to {esc(shown(revokes))} is revoked first, so its "
                "link stops working; then a new one is sent.",
                300,
            ),
            confirm="Revoke and re-invite",
            deny="Keep it",
        )
    return ButtonElement(
        text="Re-invite",
        action_id=REINVITE,
        value=f"{invitation_id}|{list_page}" if list_page else invitation_id,
        confirm=confirm,
    )


REINVITE = "reinvite_invitation"


REINVITABLE = ("expired", "revoked")
