"""A bulk invite watched on the page: with "Slow Gencove" on, its progress moves in front of
the person, who can press Cancel; afterwards the Gencove pane stays short. In headless
Chromium (`browser.py`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.playground.browser import Page
    from tests.playground.chrome import PlaygroundThread

pytest_plugins = ["tests.playground.browser"]

SLOW = '#gencove input[type="checkbox"][data-gencove="slow"]'
PROGRESS = re.compile(r"(\d+) / (\d+) invited")
COHORT = 140  # three chunks of the bot's 50: time to see one update and press Cancel


@pytest.fixture
def slow_off(running_playground: PlaygroundThread) -> Iterator[None]:
    """Whatever the test does, Gencove is fast again for the next one."""
    yield
    running_playground.api("/gencove/slow", {"on": False})


def invited_so_far(page: Page, entry: str) -> int | None:
    found = PROGRESS.search(page.entry_text(entry))
    return int(found[1]) if found else None


@pytest.mark.usefixtures("slow_off")
def test_with_a_slow_gencove_the_progress_shows_and_cancel_stops_it(page: Page) -> None:
    assert not page.driver.execute_script(f"return document.querySelector('{SLOW}').checked")
    page.click(SLOW, "Slow Gencove")
    page.until(lambda: "0.5–1 s" in page.text("#gencove .slow-note"), "the switch on")
    assert page.driver.execute_script(f"return document.querySelector('{SLOW}').checked")

    addresses = [f"slow-cohort{i:03d}@lab.org" for i in range(COHORT)]
    page.open_channel("dm")
    page.composer_paste("\n".join(addresses))
    before = page.entry_ids()
    page.click("#send", "Send")
    progress = page.entry_with(f"is inviting {COHORT} addresses", after=before)
    assert invited_so_far(page, progress) is not None, "the count shows"
    assert "░" in page.entry_text(progress), "the bar of text"
    # Cancel is on the message from the first; the bot updates the count as it goes
    cancel = page.entry_css(progress) + ' button[data-action-id="bulk_cancel"]'
    page.wait_for(cancel, "the progress message's Cancel", timeout=60)
    page.until(lambda: (invited_so_far(page, progress) or 0) > 0, "the count moving", timeout=60)
    moved = invited_so_far(page, progress) or 0
    assert moved < COHORT, "still running: slow enough to watch"
    page.screenshot("progress")

    page.click(cancel, "Cancel")
    page.until(lambda: page.text("#confirm-title") == "Stop this bulk invite?", "the dialog")
    page.click("#confirm-ok", "Stop it")
    page.until(
        lambda: "was cancelled" in page.entry_text(progress), "the invite cancelled", timeout=60
    )
    shown = page.entry_text(progress)
    assert "addresses were not sent" in shown
    invited = re.search(r"(\d+) invited", shown)
    assert invited is not None
    assert 0 < int(invited[1]) < COHORT
    page.screenshot("cancelled")
