"""The page shows what Slack would show: emoji and channel names in the bot's messages,
and a direct message with the bot (a pasted list, a CSV) reaching it. In headless Chromium,
as a person would use it: see `browser.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.playground.browser import Page

pytest_plugins = ["tests.playground.browser"]


def test_a_request_shows_its_emoji_and_the_channel_by_name(page: Page) -> None:
    page.act_as("member")
    page.type_command("/gencove invite zed-asks@lab.org")  # a member asks the inviters
    page.act_as("admin")
    page.open_channel("onboarding")
    request = page.entry_with("zed-asks@lab.org")
    shown = page.entry_text(request)
    assert "🙋" in shown
    assert ":raising_hand:" not in shown
    assert "Asked in #general" in shown
    assert "C0GENERAL" not in shown
    channel = page.texts(page.entry_css(request) + " .sk-channel")
    assert channel == ["#general"]
    page.screenshot("request")
