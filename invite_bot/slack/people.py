"""Who may invite: the Slack calls behind `core.policy`, with a short cache.

The decision itself is pure (`decide_inviter`); this module only fetches the one fact it
needs from Slack (group members or the user's admin flags) and remembers it briefly, so a
burst of clicks costs one Slack call, not one each.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.domain.keyed import TtlCache
from invite_bot.domain.policy import Admins, Decision, Refused, decide_inviter, needs_lookup
from invite_bot.slack.errors import classify
from invite_bot.slack.guard import Turn

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0
LOOKUP_FAILED = Refused(
    "The bot could not check your Slack permissions just now. Try again in a moment."
)


class Inviters:
    """Answers "may this Slack user manage invitations?"."""

    def __init__(self, admins: Admins, client: AsyncWebClient) -> None:
        self._admins = admins
        self._client = client
        self._groups: TtlCache[str, frozenset[str]] = TtlCache(CACHE_SECONDS)
        self._users: TtlCache[str, bool] = TtlCache(CACHE_SECONDS)

    async def check(self, user_id: str) -> Decision:
        try:
            lookup = needs_lookup(user_id, self._admins)
            if lookup == "none":
                return decide_inviter(user_id, self._admins)
            if lookup == "groups":
                members = {g: await self._group_members(g) for g in self._admins.groups}
                return decide_inviter(user_id, self._admins, group_members=members)
            return decide_inviter(
                user_id,
                self._admins,
                group_members=None,
                is_workspace_admin=await self._is_workspace_admin(user_id),
            )
        except SlackApiError as exc:
            log.warning("permission lookup failed: %s", classify(exc).error)
            return LOOKUP_FAILED

    async def _group_members(self, group_id: str) -> frozenset[str]:
        cached = self._groups.get(group_id)
        if cached is not None:
            return cached
        response = await self._client.usergroups_users_list(usergroup=group_id)
        members = frozenset(str(u) for u in response.get("users") or [])
        return self._groups.put(group_id, members)

    async def _is_workspace_admin(self, user_id: str) -> bool:
        cached = self._users.get(user_id)
        if cached is not None:
            return cached
        response = await self._client.users_info(user=user_id)
        user = response.get("user") or {}
        allowed = bool(user.get("is_admin") or user.get("is_owner"))
        return self._users.put(user_id, allowed)


async def require_inviter(inviters: Inviters, turn: Turn) -> bool:
    """True when the request's sender is an inviter; anyone else is told why not."""
    decision = await inviters.check(turn.request.user)
    if isinstance(decision, Refused):
        await turn.reply(decision.message)
        return False
    return True
