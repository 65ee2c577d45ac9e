"""`app_home_opened`: the person opened the bot's Home tab (or its Messages tab, which is
not ours to draw)."""

from __future__ import annotations

from invite_bot.features.home.tab import HomeTab
from invite_bot.slack.guard import Reply, Turn, answer, then
from invite_bot.slack.router import Router

HOME_OPENED = "app_home_opened"


def register(router: Router, tab: HomeTab) -> None:
    def opened(turn: Turn) -> Reply:
        if turn.payload.get("tab", "home") != "home":
            return answer()
        request = turn.request
        return then(lambda: tab.opened(request.user, request.channel_id))

    router.event(HOME_OPENED, opened, name="home_opened")
