"""The page redraws its panes whenever something changes; a person typing in one keeps what
they typed, the focus and the caret, and a modal that was closed stays closed. In headless
Chromium (`browser.py`)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from selenium.webdriver.common.keys import Keys

if TYPE_CHECKING:
    from tests.playground.browser import Page, PlaygroundThread

pytest_plugins = ["tests.playground.browser"]

EMAIL = '#gencove form.create input[name="email"]'

_FOCUS_JS = """
const e = document.activeElement;
return e && e.matches(arguments[0])
  ? { value: e.value, start: e.selectionStart, end: e.selectionEnd }
  : null;
"""


def focused(page: Page, css: str) -> dict[str, object] | None:
    """The value and caret of the element `css` names, if it has the focus."""
    found = page.driver.execute_script(_FOCUS_JS, css)
    return None if found is None else dict(found)


def redraw_gencove(page: Page, running: PlaygroundThread, email: str) -> None:
    """Something changes in the sandbox (an invitation made elsewhere); the page shows it."""
    running.api("/gencove/invitations", {"email": email, "role": "member"})
    page.wait_for(f'#gencove tr[data-email="{email}"]', f"the row for {email}")


def test_typing_in_invite_outside_slack_survives_redraws(
    page: Page, running_playground: PlaygroundThread
) -> None:
    page.click(EMAIL, "the email field")
    page.wait_for(EMAIL).send_keys("rena@lab")
    redraw_gencove(page, running_playground, "redraw-one@lab.org")
    assert focused(page, EMAIL) == {"value": "rena@lab", "start": 8, "end": 8}

    page.wait_for(EMAIL).send_keys(".org" + Keys.LEFT * 9)  # the caret after "ren"
    assert focused(page, EMAIL) == {"value": "rena@lab.org", "start": 3, "end": 3}
    before = page.text("#traffic tbody tr")
    running_playground.api("/poll", {})  # the watcher polls Gencove: the traffic pane moves
    page.until(lambda: page.text("#traffic tbody tr") != before, "the traffic pane to redraw")
    redraw_gencove(page, running_playground, "redraw-two@lab.org")
    assert focused(page, EMAIL) == {"value": "rena@lab.org", "start": 3, "end": 3}

    page.wait_for(EMAIL).send_keys("X")  # typed where the caret was
    assert focused(page, EMAIL) == {"value": "renXa@lab.org", "start": 4, "end": 4}
    page.wait_for(EMAIL).send_keys(Keys.BACKSPACE + Keys.ENTER)
    row = '#gencove tr[data-email="rena@lab.org"]'
    page.wait_for(row, "the invitation made outside Slack")
    page.until(lambda: page.value(EMAIL) == "", "the field to be free for the next one")
    assert page.text(f"{row} .status") == "pending"


def test_a_closed_modal_does_not_come_back_after_a_reload(page: Page) -> None:
    page.type_command("/gencove invite")
    page.wait_modal("Invite to Gencove")
    page.load()  # the page reloaded with the modal open: it is still open for the bot
    page.wait_modal("Invite to Gencove")
    page.composer().send_keys("/gencove link" + Keys.ENTER)  # Slack's keyboard shortcut way
    page.wait_modal("Link Gencove account")
    page.click("#modal .sk-modal-close", "Close")
    page.wait_gone("#modal .sk-modal", "the link modal to close")
    deadline = time.monotonic() + 3  # several of the page's redraws
    while time.monotonic() < deadline:
        assert not page.count("#modal .sk-modal"), "the invite modal came back"
        time.sleep(0.2)


def test_a_modal_redrawn_with_its_errors_keeps_the_focus_and_the_caret(page: Page) -> None:
    page.type_command("/gencove invite")
    page.wait_modal("Invite to Gencove")
    # the bot updates the modal once Gencove's roles arrive: type in that one
    page.wait_for('#modal select[data-input-block] option[value="member"]', "the roles")
    field = '#modal [data-input-block="addresses"]'
    page.fill_modal_field("addresses", "not-an-address")
    page.wait_for(field).send_keys(Keys.LEFT * 7)  # the caret after "not-an-"
    assert focused(page, field) == {"value": "not-an-address", "start": 7, "end": 7}
    # Invite pressed without leaving the field (as Ctrl+Enter would): the modal is drawn
    # again, with the error under the field
    page.driver.execute_script("document.querySelector('#modal .sk-modal-submit').click()")
    page.wait_for('#modal .sk-error[data-error-for="addresses"]', "the error")
    assert focused(page, field) == {"value": "not-an-address", "start": 7, "end": 7}
