"""The page shows what Slack would show: emoji and channel names in the bot's messages,
and a direct message with the bot (a pasted list, a CSV) reaching it. In headless Chromium,
as a person would use it: see `browser.py`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

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


def type_lines(page: Page, lines: list[str]) -> None:
    """Type `lines` in the composer, Shift+Enter between them (Enter alone would send)."""
    box = page.composer()
    box.clear()
    for number, line in enumerate(lines):
        if number:
            ActionChains(page.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(
                Keys.SHIFT
            ).perform()
        box.send_keys(line)
    page.until(lambda: page.value("#composer") == "\n".join(lines), "the lines typed")


def test_a_list_sent_in_a_dm_reaches_the_bot_and_is_invited(page: Page) -> None:
    page.open_channel("dm")
    assert page.find("#attach-button").is_displayed(), "a DM offers to attach a file"
    addresses = ["dm-page-ana@lab.org", "dm-page-bob@lab.org", "dm-page-cy@lab.org"]
    type_lines(page, addresses)
    before = page.entry_ids()
    page.composer().send_keys(Keys.ENTER)
    mine = page.until(
        lambda: next(
            (e for e in page.entries() if e["id"] not in before and e["person"]), None
        ),
        "the message the person sent",
    )
    assert "Ada Admin" in mine["text"]
    assert all(address in mine["text"] for address in addresses)
    assert page.value("#composer") == ""
    assert not page.text("#composer-note"), "no note: the message went to the bot"
    done = page.entry_with("is done", after=before, timeout=60)
    assert "3 invited" in page.entry_text(done)
    for address in addresses:
        row = f'#gencove tr[data-email="{address}"]'
        page.until(lambda row=row: page.text(f"{row} .status") == "pending", f"{row} pending")
    page.until(lambda: "message from @ada in a DM" in page.text("#traffic"), "the event")


def test_a_csv_attached_in_a_dm_reaches_the_bot_and_is_invited(
    page: Page, tmp_path: Path
) -> None:
    addresses = [f"dm-page-file{i}@lab.org" for i in range(5)]
    table = tmp_path / "cohort.csv"
    table.write_text("email\n" + "\n".join(addresses) + "\n", encoding="utf-8")
    page.open_channel("dm")
    page.wait_for("#attach", "the file chooser").send_keys(str(table))
    page.until(lambda: "cohort.csv" in page.text("#attached"), "the file attached, shown")
    before = page.entry_ids()
    page.click("#send", "Send")
    shared = page.until(
        lambda: next((e for e in page.entries() if e["id"] not in before and e["person"]), None),
        "the file the person sent",
    )
    card = page.entry_css(shared["id"]) + " .file-card"
    assert page.attr(card, "data-file-name") == "cohort.csv"
    assert "5 rows" in page.text(card)
    assert "shared by Ada Admin" in page.text(card)
    assert not page.text("#attached"), "sent: nothing attached any more"
    done = page.entry_with("is done", after=before, timeout=60)
    assert "5 invited" in page.entry_text(done)
    page.until(lambda: "file_shared cohort.csv" in page.text("#traffic"), "file_shared")
    page.screenshot("dm")


def test_in_a_channel_a_message_says_where_the_bot_listens(page: Page) -> None:
    assert not page.find("#attach-button").is_displayed(), "no file to the bot in a channel"
    before = page.entry_ids()
    page.composer_type("ana@lab.org please")
    page.composer().send_keys(Keys.ENTER)
    page.until(lambda: "direct messages" in page.text("#composer-note"), "the note")
    assert "only /gencove reaches the bot" in page.text("#composer-note")
    assert page.value("#composer") == "ana@lab.org please", "what was typed is kept"
    assert page.entry_ids() == before


def test_a_dm_slack_would_not_send_stays_in_the_composer(page: Page) -> None:
    page.open_channel("dm")
    too_long = "\n".join(f"long{i:05d}@lab.org" for i in range(2_500))  # over 40,000
    page.composer_paste(too_long)
    before = page.entry_ids()
    page.composer().send_keys(Keys.ENTER)
    page.until(lambda: "attach the list as a CSV" in page.text("#composer-note"), "the note")
    assert page.value("#composer") == too_long, "what was pasted is still there"
    assert page.entry_ids() == before
