"""The playground's shortcuts and "Run workflow" in headless Chromium, as a person would
use them: the shortcuts button by the composer, a message's "…" menu, and a workflow run
with the app's Invite to Gencove step whose outcome shows in the dialog. See `browser.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selenium.webdriver.common.action_chains import ActionChains

from invite_bot.features.invite.modals import ADDRESSES_BLOCK

if TYPE_CHECKING:
    from tests.playground.browser import Page

pytest_plugins = ["tests.playground.browser"]


def _run_workflow(page: Page, email: str) -> str:
    """Run the workflow for `email`; the text of its run once it has ended."""
    page.click("#workflow-button", "Run workflow")
    page.wait_for("#workflow-email", "the step's email input").send_keys(email)
    page.click("#workflow-run", "Run")
    line = "#workflow-runs .workflow-run:first-child"
    page.until(lambda: email in page.text(line), f"the run for {email}")
    page.until(
        lambda: page.attr(line, "data-outcome") in ("completed", "failed"),
        "the run's outcome",
        timeout=60,
    )
    return page.text(line)


def test_run_workflow_invites_for_an_inviter_and_shows_the_outputs(page: Page) -> None:
    shown = _run_workflow(page, "wf-page-ana@lab.org")
    assert "completed" in shown
    assert "status: pending" in shown
    assert "invitation_id:" in shown
    row = '#gencove tr[data-email="wf-page-ana@lab.org"] .status'
    page.until(lambda: page.text(row) == "pending", "the invitation in the Gencove pane")


def test_run_workflow_shows_why_a_step_failed(page: Page) -> None:
    shown = _run_workflow(page, "nobody@")
    assert "failed — Nothing was sent: these are not valid email addresses: nobody@" in shown


def test_run_workflow_for_a_member_makes_a_request(page: Page) -> None:
    page.act_as("member")
    shown = _run_workflow(page, "wf-page-bob@lab.org")
    assert "status: requested" in shown


def test_the_shortcuts_button_opens_the_invite_form(page: Page) -> None:
    page.click("#shortcuts-button", "the shortcuts button")
    page.click("#shortcut-menu .surface-item", "Invite to Gencove")
    page.wait_modal("Invite to Gencove")


def test_a_message_s_menu_opens_the_form_with_its_addresses(page: Page) -> None:
    email = "wf-page-msg@lab.org"
    before = page.type_command(f"/gencove invite {email}")
    entry = page.entry_with(email, after=before)
    page.until(lambda: page.attr(page.entry_css(entry), "data-ts"), "a posted message")
    ActionChains(page.driver).move_to_element(page.entry_element(entry)).perform()
    page.until(lambda: page.find("#message-more:not([hidden])"), "the message's … button")
    page.click("#message-more", "…")
    page.click("#shortcut-menu .surface-item", "Invite to Gencove")
    page.wait_modal("Invite to Gencove")
    field = f'#modal [data-input-block="{ADDRESSES_BLOCK}"]'
    page.until(lambda: page.value(field) == email, "the address filled in")
