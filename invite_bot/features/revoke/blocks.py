"""Revoke in Block Kit: its button (with Slack's confirm dialog), the button's value read
back, and how one revoke's outcome reads. Pure: no I/O."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ButtonElement,
    ConfirmObject,
)

from invite_bot.domain.addresses import shown
from invite_bot.domain.page_refs import PageRef
from invite_bot.domain.text import escape_mrkdwn, truncate
from invite_bot.features.revoke.revoking import RevokeOutcome
from invite_bot.slack.blockkit import (
    esc,
)
from invite_bot.slack.trust import parse_page_value


def revoke_button(invitation_id: str, email: str, *, list_page: str = "") -> ButtonElement:
    """Revoke with Slack's confirm dialog; on a list page the value also names the page."""
    return ButtonElement(
        text="Revoke",
        action_id=REVOKE,
        value=f"{invitation_id}|{list_page}" if list_page else invitation_id,
        style="danger",
        confirm=ConfirmObject(
            title="Revoke this invitation?",
            text=truncate(f"{esc(shown(email))} will no longer be able to join.", 300),
            confirm="Revoke",
            deny="Keep it",
            style="danger",
        ),
    )


def parse_revoke_value(value: str) -> tuple[str, PageRef | None]:
    """The invitation id, and the list page the button was on (None on a result message)."""
    invitation_id, _, page = value.partition("|")
    return invitation_id, parse_page_value(page) if page else None


# action and callback ids: the one place listeners and builders agree on
REVOKE = "revoke_invitation"


def describe(outcome: RevokeOutcome) -> str:
    """What happened to one revoke, after the address (`ana@lab.org: revoked.`)."""
    if outcome.result == "revoked":
        return "revoked."
    if outcome.result == "not_pending":
        return f"nothing revoked: the invitation is already {outcome.status}."
    if outcome.result == "unknown":
        return "nothing revoked: Gencove does not know this invitation."
    return f"not revoked. Gencove said: {escape_mrkdwn(outcome.message or 'unknown error')}"
