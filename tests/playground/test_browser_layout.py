"""The page's frame as a person sees it: no sideways scrolling at 1024 px, a traffic table
whose values are never broken across lines, a Gencove pane that stays short after a bulk
invite, and a favicon. In headless Chromium (`browser.py`)."""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.playground.browser import Page
    from tests.playground.chrome import PlaygroundThread

pytest_plugins = ["tests.playground.browser"]

NARROW = (1024, 768)

_OVERFLOW_JS = """
const doc = document.documentElement;
const wide = [doc, document.body, ...document.querySelectorAll('.layout > *, .topbar')]
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.id || e.className || e.tagName) + ': ' + e.scrollWidth + ' > ' + e.clientWidth);
return { wide: wide, width: window.innerWidth,
         conversation: document.querySelector('.conversation-pane').clientWidth };
"""

# Each cell of the table whose words take more than one line box.
_WRAPPED_JS = """
const broken = [];
for (const cell of document.querySelectorAll(arguments[0])) {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
  if (lines.size > 1) broken.push(cell.innerText);
}
return broken;
"""


@pytest.fixture
def narrow(page: Page) -> Iterator[Page]:
    """The page in a window 1024 px wide (a laptop's, a projector's)."""
    width, height = NARROW
    page.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        page.load()
        yield page
    finally:
        page.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _bulk_invite(running: PlaygroundThread, prefix: str, count: int) -> list[str]:
    addresses = [f"{prefix}{i:03d}@lab.org" for i in range(count)]
    answer = running.api(
        "/message", {"user": "admin", "channel": "dm", "text": "\n".join(addresses)}
    )
    assert answer["ok"], answer
    return addresses


def test_the_page_does_not_scroll_sideways_at_1024_px(
    narrow: Page, running_playground: PlaygroundThread
) -> None:
    page = narrow
    _bulk_invite(running_playground, "narrow", 12)
    page.type_command("/gencove list")
    page.until(lambda: page.count("#gencove tr[data-email^='narrow']") == 12, "the invitations")
    page.until(lambda: page.count("#traffic tbody tr") > 10, "traffic")
    found = page.driver.execute_script(_OVERFLOW_JS)
    assert found["width"] == NARROW[0]
    assert found["wide"] == [], "wider than the window"
    assert found["conversation"] >= 400, "the conversation keeps room to read"
    page.open_channel("dm")
    page.until(lambda: "is done" in page.text("#conversation"), "the bulk invite's message")
    assert page.driver.execute_script(_OVERFLOW_JS)["wide"] == []
    page.screenshot("1024")


def test_the_traffic_table_never_breaks_a_value(narrow: Page) -> None:
    page = narrow
    page.type_command("/gencove invite traffic-one@lab.org traffic-two@partner.org")
    page.until(lambda: "POST /api/v2/invitations/" in page.text("#traffic"), "the creates")
    page.until(lambda: "slash command" in page.text("#traffic"), "the command")
    cells = "#traffic tbody td"
    assert page.driver.execute_script(_WRAPPED_JS, cells) == []
    assert page.driver.execute_script(_WRAPPED_JS, "#traffic thead th") == []
    # what was asked is whole in the cell (the box scrolls sideways), and in its title
    for what in page.elements("#traffic td.what", "title"):
        assert what["title"] == what["text"]
    assert page.driver.execute_script(_OVERFLOW_JS)["wide"] == []


def test_the_gencove_pane_stays_short_after_a_bulk_invite(
    page: Page, running_playground: PlaygroundThread
) -> None:
    addresses = _bulk_invite(running_playground, "short-pane", 60)
    page.until(
        lambda: page.count("#gencove tr[data-email^='short-pane']") == 60, "60 more invitations"
    )
    rows = "#gencove tr[data-invitation]"
    assert page.driver.execute_script(_WRAPPED_JS, f"{rows} td") == [], "one line each"
    heights = page.driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(r => r.offsetHeight)",
        rows,
    )
    assert max(heights) < 1.5 * min(heights), "no row takes two lines"
    for address in addresses[:3]:
        row = f'#gencove tr[data-email="{address}"]'
        assert page.count(f"{row} select[data-gencove='menu']") == 1, "its changes in a menu"
        assert page.count(f"{row} button") == 0
    box = page.driver.execute_script(
        "const b = document.querySelector('#gencove .invitations-box');"
        "return {shown: b.clientHeight, all: b.scrollHeight, window: window.innerHeight,"
        " traffic: document.querySelector('#traffic .pane-title')"
        ".getBoundingClientRect().top};"
    )
    assert box["all"] > box["shown"], "the list scrolls in its own box"
    assert box["shown"] <= 0.4 * box["window"]
    assert box["traffic"] < box["window"], "the traffic pane is still in view below it"
    assert "pending" in page.text("#gencove .invitations-count")


def test_the_page_has_a_favicon(page: Page) -> None:
    href = page.attr('link[rel="icon"]', "href")
    assert href == "/static/favicon.svg"
    url = urllib.parse.urljoin(page.address, href)
    assert url.startswith("http://127.0.0.1:"), url
    with urllib.request.urlopen(url, timeout=15) as icon:  # noqa: S310 - loopback, checked
        assert icon.headers["Content-Type"].startswith("image/svg+xml")
        assert b"<svg" in icon.read()
    asked = page.driver.execute_script(
        "const r = await fetch('/favicon.ico'); return [r.status, r.redirected, r.url];"
    )
    assert asked[0] == 200
    assert asked[2].endswith("/static/favicon.svg")
    drawn = page.driver.execute_script(
        "const i = new Image(); i.src = arguments[0]; await i.decode(); return i.naturalWidth;",
        href,
    )
    assert drawn > 0
