"""Driving the playground's page in headless Chromium, as a person would.

One playground per test module (Gencove sandbox, local Slack, the real bot, the page),
started in-process on 127.0.0.1 in a background thread with its own event loop, and one
Chromium for the module. Each test starts from a known state: every person's open modals
are closed and the page is loaded afresh (acting as the admin, in #general). Tests share
the playground's history, so each uses its own addresses and finds what it caused by the
entries that appeared after its own command — never by counting messages.

Chromium and its driver are Debian's (`/usr/bin/chromium`, `/usr/bin/chromedriver`);
Selenium Manager is never asked to download anything. Where one of them (or selenium) is
missing the tests are skipped, and fail under `CI=true`, where they must be installed.

Every wait polls its condition (at least `WAIT` seconds: the machine may be busy) and, when
it gives up, saves a screenshot beside the test's own `<test name>.png` in `tmp_path`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from invite_bot.playground.world import person
from tests.playground.chrome import (
    TRANSIENT,
    WAIT,
    PlaygroundThread,
    require_browser,
    start_chrome,
)

try:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import Select
except ImportError:  # pragma: no cover - chrome.require_browser skips the tests
    pass

__all__ = ["WAIT", "Page", "PlaygroundThread"]

POLL = 0.1
T = TypeVar("T")


# -- the page -------------------------------------------------------------------------


_ELEMENTS_JS = """
return Array.from(document.querySelectorAll(arguments[0])).map(e => {
  const found = { text: e.innerText };
  for (const name of arguments[1]) found[name] = e.getAttribute(name);
  return found;
});
"""

# Everything in #conversation with its id, visible text and a few facts, in one round trip.
_ENTRIES_JS = """
return Array.from(document.querySelectorAll('#conversation [data-entry]')).map(e => ({
  id: e.dataset.entry,
  ts: e.dataset.ts || null,
  text: e.innerText,
  bot: e.dataset.surface === 'message',
  command: e.classList.contains('command'),
  person: Boolean(e.dataset.person),
  ephemeral: e.classList.contains('ephemeral'),
}));
"""


class Page:
    """The playground page in Chromium, with what a person does and sees on it."""

    def __init__(self, driver: WebDriver, address: str, tmp_path: Path, name: str) -> None:
        self.driver = driver
        self.address = address
        self.tmp_path = tmp_path
        self.name = name
        self.shots: list[Path] = []

    # waiting ---------------------------------------------------------------------------

    def until(self, condition: Callable[[], T | None], what: str, timeout: float = WAIT) -> T:
        """Poll `condition` until it returns something truthy; fail (with a screenshot)
        naming `what` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last: BaseException | None = None
        while True:
            try:
                found = condition()
            except TRANSIENT as exc:
                found, last = None, exc
            if found:
                return found
            if time.monotonic() >= deadline:
                shot = self.screenshot("timeout")
                why = f" (last: {type(last).__name__})" if last else ""
                raise AssertionError(
                    f"timed out after {timeout:.0f} s waiting for {what}{why}; see {shot}"
                )
            time.sleep(POLL)

    def find(self, css: str) -> WebElement | None:
        """The first element `css` matches, to click or type into. To read the page use
        `text`, `texts`, `attr`, `value`, `count` and `elements`: each reads it in one
        script, so a redraw (the page redraws every time something changes) cannot make
        what they return stale."""
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        return found[0] if found else None

    def elements(self, css: str, *attributes: str) -> list[dict[str, str | None]]:
        """Each element `css` matches: its visible `text` and the given attributes."""
        found = self.driver.execute_script(_ELEMENTS_JS, css, list(attributes))
        return list(found or [])

    def texts(self, css: str) -> list[str]:
        return [str(e["text"]) for e in self.elements(css)]

    def text(self, css: str) -> str:
        """The visible text of the first element `css` matches ("" when there is none)."""
        found = self.texts(css)
        return found[0] if found else ""

    def attr(self, css: str, name: str) -> str | None:
        found = self.elements(css, name)
        return found[0][name] if found else None

    def value(self, css: str) -> str | None:
        """A form field's current value (what was typed), not its `value` attribute."""
        found = self.driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.value : null;", css
        )
        return None if found is None else str(found)

    def count(self, css: str) -> int:
        return int(
            self.driver.execute_script("return document.querySelectorAll(arguments[0]).length", css)
        )

    def wait_for(self, css: str, what: str = "", timeout: float = WAIT) -> WebElement:
        return self.until(lambda: self.find(css), what or css, timeout)

    def wait_gone(self, css: str, what: str = "", timeout: float = WAIT) -> None:
        self.until(lambda: not self.count(css), what or f"{css} to go away", timeout)

    def click(self, css: str, what: str = "") -> None:
        """Click the element `css` names, looking it up again if the page redrew it."""

        def attempt() -> bool:
            element = self.find(css)
            if element is None or not element.is_displayed() or not element.is_enabled():
                return False
            element.click()
            return True

        self.until(attempt, f"to click {what or css}")

    def choose(self, css: str, value: str, what: str = "") -> None:
        """Choose the option `value` in the menu (a `<select>`) `css` names."""

        def attempt() -> bool:
            element = self.find(css)
            if element is None or not element.is_displayed():
                return False
            Select(element).select_by_value(value)
            return True

        self.until(attempt, f"to choose {what or value} in {css}")

    # loading, acting as, channels ------------------------------------------------------

    def load(self) -> None:
        """The page afresh: acting as the admin, in #general, drawn at least once."""
        self.driver.get(self.address)
        self.until(
            lambda: self.find("#sidebar a.channel.active[data-channel='general']"),
            "the page to draw its first state",
        )
        self.until(lambda: self.find("#gencove tr[data-invitation]"), "the Gencove pane")

    def act_as(self, role: str) -> None:
        name = person(role).real_name
        Select(self.wait_for("#act-as")).select_by_value(role)
        self.until(
            lambda: f"You are {name} " in self.text("#sidebar .sidebar-you"),
            f"the page to show {name}",
        )

    def open_channel(self, key: str) -> None:
        self.click(f"#sidebar a.channel[data-channel='{key}']", f"channel {key}")
        self.until(
            lambda: self.find(f"#sidebar a.channel.active[data-channel='{key}']"),
            f"channel {key} to open",
        )

    # the conversation ----------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        found = self.driver.execute_script(_ENTRIES_JS)
        return list(found or [])

    def entry_ids(self) -> frozenset[str]:
        return frozenset(entry["id"] for entry in self.entries())

    def type_command(self, text: str) -> frozenset[str]:
        """Type `text` into the composer and press Enter. Waits until the command shows in
        the conversation; returns the entries that were there before it, so that
        `entry_with(…, after=…)` finds only what this command caused."""
        before = self.entry_ids()
        self.composer_type(text)
        self.composer().send_keys(Keys.ENTER)
        self._command_shown(text, before)
        return before

    def send_composer(self, text: str) -> frozenset[str]:
        """Click Send for what the composer holds (`text`); as `type_command`."""
        before = self.entry_ids()
        self.click("#send", "Send")
        self._command_shown(text, before)
        return before

    def _command_shown(self, text: str, before: frozenset[str]) -> None:
        self.until(
            lambda: any(
                e["command"] and e["id"] not in before and text in e["text"] for e in self.entries()
            ),
            f"the command {text!r} to show in the conversation",
        )
        self.until(lambda: self.value("#composer") == "", "the composer to empty")

    def composer(self) -> WebElement:
        return self.wait_for("#composer", "the composer")

    def composer_type(self, text: str) -> None:
        box = self.composer()
        box.clear()
        box.send_keys(text)
        self.until(lambda: self.value("#composer") == text, "the composer text")

    def composer_paste(self, text: str) -> None:
        """Put `text` in the composer as pasting it would (lines and all)."""
        self.composer().clear()
        self.driver.execute_script(
            "const box = document.querySelector('#composer');"
            "box.focus(); box.value = arguments[0];"
            "box.dispatchEvent(new InputEvent('input',"
            " {bubbles: true, inputType: 'insertFromPaste'}));",
            text,
        )
        self.until(lambda: self.value("#composer") == text, "the pasted text")

    def entry_with(
        self,
        text: str,
        *,
        after: frozenset[str] = frozenset(),
        bot: bool = True,
        timeout: float = WAIT,
    ) -> str:
        """The id of the newest entry (from the bot, unless `bot=False`) that was not in
        `after` and whose visible text contains `text`; waits for one to appear."""

        def find() -> str | None:
            for entry in reversed(self.entries()):
                if entry["id"] in after or (bot and (not entry["bot"] or entry["person"])):
                    continue
                if text in entry["text"]:
                    return str(entry["id"])
            return None

        return self.until(find, f"an entry showing {text!r}", timeout)

    @staticmethod
    def entry_css(entry_id: str) -> str:
        return f'#conversation [data-entry="{entry_id}"]'

    def entry_text(self, entry_id: str) -> str:
        return self.text(self.entry_css(entry_id))

    def entry_element(self, entry_id: str) -> WebElement:
        return self.wait_for(self.entry_css(entry_id), f"entry {entry_id}")

    # the modal ---------------------------------------------------------------------

    def wait_modal(self, title: str) -> None:
        self.until(
            lambda: title in self.text("#modal .sk-modal .sk-modal-title"),
            f"the modal {title!r}",
        )

    def modal_field(self, block_id: str) -> WebElement:
        return self.wait_for(
            f'#modal [data-input-block="{block_id}"]', f"the modal field {block_id}"
        )

    def fill_modal_field(self, block_id: str, text: str) -> None:
        def attempt() -> bool:
            field = self.modal_field(block_id)
            field.clear()
            field.send_keys(text)
            return self.value(f'#modal [data-input-block="{block_id}"]') == text

        self.until(attempt, f"{text!r} typed in the modal field {block_id}")

    # screenshots -------------------------------------------------------------------

    def screenshot(self, label: str = "") -> Path:
        path = self.tmp_path / (f"{self.name}-{label}.png" if label else f"{self.name}.png")
        try:
            self.driver.save_screenshot(str(path))
        except WebDriverException:
            return path  # the browser is gone; the failure says why
        self.shots.append(path)
        return path


def _test_name(request: pytest.FixtureRequest) -> str:
    name = request.node.name
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


# -- fixtures (test modules take them with `pytest_plugins`) --------------------------


@pytest.fixture(scope="module")
def running_playground() -> Iterator[PlaygroundThread]:
    require_browser()
    with PlaygroundThread() as running:
        yield running


@pytest.fixture(scope="module")
def chrome(running_playground: PlaygroundThread) -> Iterator[WebDriver]:
    driver = start_chrome()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(
    running_playground: PlaygroundThread,
    chrome: WebDriver,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """The page in a known state; its screenshot `<test name>.png` is saved at the end."""
    running_playground.close_all_modals()
    shown = Page(chrome, running_playground.address, tmp_path, _test_name(request))
    shown.load()
    try:
        yield shown
    finally:
        shown.screenshot()
