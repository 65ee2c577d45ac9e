"""The invitation row every message shows: one address's line (its status, role, expiry,
who changed it) and its button (Revoke while pending, Re-invite once expired or revoked).
Pure: no I/O."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ButtonElement,
)

from invite_bot.domain.addresses import shown
from invite_bot.domain.records import InviteRow
from invite_bot.domain.text import slack_date
from invite_bot.features.reinvite.blocks import REINVITABLE, reinvite_button
from invite_bot.features.revoke.blocks import revoke_button
from invite_bot.slack.blockkit import (
    SLACK_USER_ID,
    STATUS_ICON,
    by_whom,
    esc,
)


def row_line(row: InviteRow) -> str:
    """The one-line description of an address (also used in compact mode)."""
    icon = STATUS_ICON.get(row.status, ":grey_question:")
    email = f"*{esc(shown(row.email))}*"
    role = f" · role {esc(row.role)}" if row.role else ""
    if row.status == "failed":
        return f"{icon} {email}: not invited. {esc(row.error or 'Gencove refused it.')}"
    if row.status == "working":
        return f"{icon} {email}: inviting…"
    if row.status == "member":
        return f"{icon} {email}: already a member of the organization, not invited."
    if row.status == "unsure":
        return (
            f"{icon} {email}: may have been invited: Gencove's answer was lost and the "
            "invitation was not in its list yet. Check `/gencove list` before inviting again."
        )
    if row.status == "pending":
        prefix = "already invited" if row.existing else "invited"
        return f"{icon} {email}: {prefix}{role} · expires {slack_date(row.expires)}"
    again = f" · re-invited{by_whom(row.reinvited_by)}" if row.reinvited_by else ""
    return f"{icon} {email}: {row.status}{who_changed(row.status, row.changed_by)}{role}{again}"


def who_changed(status: str, changed_by: str | None) -> str:
    """Who moved an invitation to `status`, said one way everywhere: the Slack person for
    what was done in Slack (" by @ada"), the Gencove user for what was done in Gencove
    (" in Gencove by Jane Doe"); nobody for an expiry (time did it) or an acceptance (the
    invitee did, and the row or notice names them already)."""
    if status in ("expired", "accepted") or not changed_by:
        return ""
    if SLACK_USER_ID.fullmatch(changed_by):
        return f" by <@{changed_by}>"
    return f" in Gencove by {esc(changed_by)}"


def row_button(row: InviteRow, *, list_page: str = "") -> ButtonElement | None:
    """Revoke on a pending row, Re-invite on an expired or revoked one not re-invited yet."""
    if not row.invitation_id:
        return None
    if row.status == "pending":
        return revoke_button(row.invitation_id, row.email, list_page=list_page)
    if row.status in REINVITABLE and not row.reinvited_by:
        return reinvite_button(row.invitation_id, list_page=list_page)
    return None


def row_block_id(row: InviteRow, index: int) -> str:
    return f"inv:{row.invitation_id}" if row.invitation_id else f"row:{index}"


DETAILED_ROWS = 45  # above this a result message switches to compact lines
