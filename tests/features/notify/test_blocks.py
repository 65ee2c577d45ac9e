"""A notification's Block Kit: who invited, who acted, and no mention made of a name."""

from __future__ import annotations

from invite_bot.domain.records import InviteRow
from invite_bot.features.notify.blocks import notification


def test_notification_says_who_invited_and_who_acted() -> None:
    accepted = notification(
        InviteRow("bob@lab.org", "accepted", role="member"), inviter_id="U0ANA0001"
    )
    assert accepted.text.endswith(
        "bob@lab.org accepted the invitation (invited by <@U0ANA0001>, role member)"
    )
    revoked = notification(
        InviteRow("bob@lab.org", "revoked", changed_by="U0CAROL01"), inviter_id=None
    )
    assert "revoked by <@U0CAROL01>" in revoked.text
    assert "invited outside Slack" in revoked.text


def test_a_gencove_name_that_starts_like_a_slack_id_is_not_a_mention() -> None:
    ursula = notification(InviteRow("bob@lab.org", "revoked", changed_by="Ursula"), inviter_id=None)
    assert "revoked in Gencove by Ursula" in ursula.text
    assert "<@Ursula>" not in ursula.text
