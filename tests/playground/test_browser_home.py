"""The Home tab on the playground page: "Home" in the sidebar opens it for the person
acted as, it shows what the bot published to them, and its buttons work (Revoke asks to
confirm, then the Home shows the change). In headless Chromium (`browser.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.playground.browser import Page

pytest_plugins = ["tests.playground.browser"]

HOME = "#home-view"


def open_home(page: Page) -> None:
    page.click("#sidebar a.home-tab", "Home")
    page.until(lambda: page.find("#sidebar a.home-tab.active"), "Home to be the open entry")
    page.until(lambda: "Gencove invitations" in page.text(HOME), "the published Home tab")


def test_the_home_tab_shows_the_inviters_invitations_and_revoke_works(page: Page) -> None:
    page.type_command("/gencove invite home-page-ana@lab.org")
    page.entry_with("home-page-ana@lab.org")
    open_home(page)
    page.until(lambda: "home-page-ana@lab.org" in page.text(HOME), "the invitation on Home")
    assert not page.find("#conversation").is_displayed()  # the Home takes its place
    page.screenshot("home")

    block = '[data-block-id^="home_inv:"]'
    revoke = page.elements(
        f"{HOME} {block} button[data-action-id='revoke_invitation']", "data-value"
    )
    row = next(
        r
        for r in page.elements(f"{HOME} {block}", "data-block-id")
        if "home-page-ana@lab.org" in str(r["text"])
    )
    button = f"{HOME} [data-block-id='{row['data-block-id']}'] button[data-action-id]"
    assert revoke, "each pending invitation has its Revoke button"
    page.click(button, "Revoke")
    page.until(lambda: not page.find("#confirm.hidden"), "the confirm dialog")
    page.click("#confirm-ok", "Revoke in the dialog")
    page.until(
        lambda: "home-page-ana@lab.org" not in page.text(HOME),
        "the Home to show the invitation revoked",
    )


def test_a_member_home_shows_no_invitations_and_the_conversation_comes_back(
    page: Page,
) -> None:
    page.type_command("/gencove invite home-page-hidden@lab.org")
    page.entry_with("home-page-hidden@lab.org")
    page.act_as("member")
    open_home(page)
    page.until(lambda: "Ask for an invitation" in page.text(HOME), "the member's Home")
    assert "home-page-hidden@lab.org" not in page.text(HOME)
    assert "Pending invitations" not in page.text(HOME)
    page.open_channel("general")
    page.until(lambda: page.find("#conversation").is_displayed(), "the conversation again")


def test_a_channel_chosen_on_the_home_tab_hears_of_invitation_changes(page: Page) -> None:
    open_home(page)
    picker = f"{HOME} select[data-action-id='notify_channel_on']"
    page.wait_for(picker, "the channel picker")
    page.choose(picker, "C0GENERAL", "#general")
    page.until(
        lambda: "#general hears of invitation changes" in page.text(HOME),
        "the Home to show #general subscribed",
    )
    assert page.find(f"{HOME} button[data-action-id='notify_channel_off']") is not None
