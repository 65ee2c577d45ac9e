"""Views the bot shows: modals (open, update) and a person's Home tab (publish), each
redacted like a message (reached through `Outbound.views`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.slack.errors import SLACK_FAILURES, SlackFailure, classify


class Views:
    def __init__(self, client: AsyncWebClient, redact: Callable[[Any], Any]) -> None:
        self.client = client
        self._redact = redact  # a view's JSON, redacted (Outbound's)

    async def open(self, trigger_id: str, view: Any) -> Mapping[str, Any] | SlackFailure:
        """Open a modal; the opened view (its id and hash), or why not."""
        try:
            answer = await self.client.views_open(trigger_id=trigger_id, view=self._shown(view))
        except SLACK_FAILURES as exc:
            return classify(exc)
        found = answer.get("view")
        return found if isinstance(found, Mapping) else {}

    async def update(
        self, view_id: str, view: Any, *, hash: str | None = None
    ) -> SlackFailure | None:
        try:
            await self.client.views_update(view_id=view_id, hash=hash, view=self._shown(view))
        except SLACK_FAILURES as exc:
            return classify(exc)
        return None

    async def publish_home(self, user_id: str, view: Any) -> SlackFailure | None:
        """Show `view` as the person's Home tab (`views.publish`); None once done."""
        try:
            await self.client.views_publish(user_id=user_id, view=self._shown(view))
        except SLACK_FAILURES as exc:
            return classify(exc)
        return None

    def _shown(self, view: Any) -> Any:
        return self._redact(view.to_dict() if hasattr(view, "to_dict") else dict(view))
