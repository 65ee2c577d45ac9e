"""People's Slack profiles: the email address a profile shows (`users.info`, which needs
the `users:read.email` scope for it). A read, not a message: it goes to Slack's Web API
directly, its failure classified like any other call's."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.slack.errors import SLACK_FAILURES, SlackFailure, classify


async def profile_email(client: AsyncWebClient, user_id: str) -> str | SlackFailure | None:
    """The email on `user_id`'s profile; None for a bot, a deleted account or none shown."""
    try:
        answer = await client.users_info(user=user_id)
    except SLACK_FAILURES as exc:
        return classify(exc)
    user = answer.get("user") or {}
    if not isinstance(user, dict) or user.get("is_bot") or user.get("deleted"):
        return None
    email = (user.get("profile") or {}).get("email")
    return email.strip() if isinstance(email, str) and email.strip() else None
