"""Modals as Slack keeps them: views.open opens a new modal (the one open before is gone for
good), views.push stacks a view on the open one (it shows again once the pushed one
closes). Through the local Slack's Web API, and through the playground's control API."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from invite_bot.playground.modals import Modals
from invite_bot.playground.slack import FakeSlack
from tests.playground.control import Page


def _view(title: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": title.lower(),
        "title": {"type": "plain_text", "text": title},
        "blocks": [{"type": "section", "text": {"type": "plain_text", "text": title}}],
    }


def _top_title(slack: FakeSlack, modals: Modals, user: str) -> str | None:
    modals.take_in()
    top = modals.top(user)
    return None if top is None else str(slack.views[top.view_id].view["title"]["text"])


async def test_views_open_replaces_the_open_modal_and_views_push_stacks() -> None:
    async with FakeSlack("xoxb-modals") as slack:
        client = AsyncWebClient(token="xoxb-modals", base_url=slack.api_url)
        modals = Modals(slack)
        await client.views_open(trigger_id=modals.trigger_for("U1"), view=_view("First"))
        assert _top_title(slack, modals, "U1") == "First"
        await client.views_open(trigger_id=modals.trigger_for("U1"), view=_view("Second"))
        assert _top_title(slack, modals, "U1") == "Second"
        modals.close("U1")
        assert _top_title(slack, modals, "U1") is None, "the first modal came back"

        await client.views_open(trigger_id=modals.trigger_for("U1"), view=_view("Root"))
        await client.views_push(trigger_id=modals.trigger_for("U1"), view=_view("Pushed"))
        assert _top_title(slack, modals, "U1") == "Pushed"
        modals.close("U1")
        assert _top_title(slack, modals, "U1") == "Root"  # a pushed view returns to its root
        assert not slack.violations


async def _open_title(shown: Page, user: str = "admin") -> str | None:
    view = (await shown.get("/view", user=user))["view"]
    return None if view is None else str(view["title"]["text"])


async def test_a_modal_left_open_does_not_come_back_after_another_is_submitted(
    page: Page,
) -> None:
    await page.command("invite")  # the invite modal, left open (the page is reloaded…)

    async def invite_open() -> bool:
        return await _open_title(page) == "Invite to Gencove"

    await page.until(invite_open, "the invite modal")
    await page.command("link")  # …and another command opens the link modal

    async def link_open() -> bool:
        return await _open_title(page) == "Link Gencove account"

    await page.until(link_open, "the link modal, instead of the invite modal")
    answer = await page.post("/submit", {"user": "admin", "values": {}})
    assert answer["ack"]["response_action"] == "errors"  # no key typed: it stays, with errors
    await page.post("/close", {"user": "admin"})
    assert await _open_title(page) is None, "the stale invite modal came back"
