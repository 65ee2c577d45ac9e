"""The Re-invite button (the value is like Revoke's), and the statuses it is shown on."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ButtonElement,
)


def reinvite_button(invitation_id: str, *, list_page: str = "") -> ButtonElement:
    """Re-invite: the same address, with the same role (the value is like Revoke's)."""
    return ButtonElement(
        text="Re-invite",
        action_id=REINVITE,
        value=f"{invitation_id}|{list_page}" if list_page else invitation_id,
    )


REINVITE = "reinvite_invitation"


REINVITABLE = ("expired", "revoked")
