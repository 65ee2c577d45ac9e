"""The playground's page in headless Chromium, driven as a person would drive it.

Typing in the composer, clicking Block Kit buttons, confirming, filling modals, switching
who one acts as and which channel one is in; and checking what the page then shows. The
playground (and the real bot in it) runs in-process on 127.0.0.1: see `browser.py`.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from invite_bot.features.accounts.blocks import ACCEPT
from invite_bot.features.revoke.blocks import REVOKE
from invite_bot.playground.world import person

if TYPE_CHECKING:
    from tests.playground.browser import Page

pytest_plugins = ["tests.playground.browser"]

ORGANIZATION = "Playground Genomics"  # invite_bot.playground.run.sandbox_gencove


def invitation_block(page: Page, entry_id: str, email: str) -> str:
    """The CSS of the result message's section for `email` (block id `inv:<id>`)."""

    def find() -> str | None:
        sections = page.elements(
            page.entry_css(entry_id) + ' .sk-block[data-block-id^="inv:"]', "data-block-id"
        )
        for section in sections:
            if email in str(section["text"]):
                return f'{page.entry_css(entry_id)} [data-block-id="{section["data-block-id"]}"]'
        return None

    return page.until(find, f"the section for {email}")


def gencove_status(page: Page, invitation_id: str) -> str:
    return page.text(f'#gencove tr[data-invitation="{invitation_id}"] .status')


def test_revoke_from_the_result_message(page: Page) -> None:
    email = "amy@lab.org"  # not the admin's own address: that account is already a member
    before = page.type_command(f"/gencove invite {email}")
    entry = page.entry_with(email, after=before)
    assert page.attr(page.entry_css(entry), "data-ts"), "posted in the channel"
    assert not page.count(f"{page.entry_css(entry)} .only-you"), "seen by everyone"
    row = invitation_block(page, entry, email)
    invitation_id = str(page.attr(row, "data-block-id")).removeprefix("inv:")
    assert "invited" in page.text(row)
    revoke = f'{row} button.sk-button[data-action-id="{REVOKE}"]'
    page.wait_for(revoke, "the Revoke button")
    assert page.text(revoke) == "Revoke"
    assert page.attr(revoke, "data-value") == invitation_id
    confirm = json.loads(page.attr(revoke, "data-confirm") or "{}")
    assert confirm["confirm"] == "Revoke"
    assert page.until(lambda: gencove_status(page, invitation_id), "the Gencove row") == "pending"

    page.click(revoke, "Revoke")
    page.until(
        lambda: page.count("#confirm:not(.hidden)") and page.wait_for("#confirm-ok").is_displayed(),
        "the confirm dialog",
    )
    assert page.text("#confirm-title") == "Revoke this invitation?"
    assert email in page.text("#confirm-text")
    page.screenshot("confirm")
    page.click("#confirm-ok", "Confirm")
    page.wait_for("#confirm.hidden", "the confirm dialog to close")

    page.until(lambda: "revoked" in page.text(row), f"the row for {email} to say revoked")
    page.wait_gone(revoke, "the Revoke button to go away")
    assert email in page.text(row)
    assert "(edited)" in page.entry_text(entry)
    page.until(lambda: gencove_status(page, invitation_id) == "revoked", "Gencove: revoked")
    assert not page.count(f'#gencove tr[data-invitation="{invitation_id}"] [data-gencove]')


def test_invite_modal_shows_errors_and_keeps_what_was_typed(page: Page) -> None:
    before = page.type_command("/gencove invite")
    page.wait_modal("Invite to Gencove")
    page.fill_modal_field("addresses", "not-an-address")
    page.click("#modal .sk-modal-submit", "Invite")
    error = '#modal .sk-error[data-error-for="addresses"]'
    page.wait_for(error, "the error on the addresses field")
    assert "not-an-address" in page.text(error)
    assert "not valid" in page.text(error)
    # the error is under the addresses field, and what was typed is still there
    assert page.count('#modal [data-block-id="addresses"] .sk-error') == 1
    page.screenshot("error")
    assert page.value('#modal [data-input-block="addresses"]') == "not-an-address"

    email = "ben@lab.org"
    page.fill_modal_field("addresses", email)
    page.click("#modal .sk-modal-submit", "Invite")
    page.wait_gone("#modal .sk-modal", "the modal to close")
    entry = page.entry_with(email, after=before)
    row = invitation_block(page, entry, email)
    page.wait_for(f'{row} button[data-action-id="{REVOKE}"]', "the Revoke button")


def test_invitee_links_their_key_and_accepts(page: Page) -> None:
    page.act_as("invitee")
    key = page.until(lambda: page.text('#gencove code[data-key-for="invitee"]'), "the key")
    assert key.startswith("gc-personal-")

    page.type_command("/gencove link")
    page.wait_modal("Link Gencove account")
    page.fill_modal_field("api_key", key)
    page.click("#modal .sk-modal-submit", "Link")
    page.until(
        lambda: "account is linked" in page.text("#modal .sk-modal-body"),
        "the modal to say the account is linked",
    )
    page.screenshot("linked")
    page.click("#modal .sk-modal-close", "Close")
    page.wait_gone("#modal .sk-modal", "the modal to close")

    invitee = person("invitee").email  # has a pending invitation in the playground's world
    ivy = f'#gencove tr[data-email="{invitee}"]'
    page.choose(f'{ivy} select[data-gencove="menu"]', "fill", "Link → composer")
    page.until(
        lambda: (page.value("#composer") or "").startswith("/gencove accept http"),
        "the composer to hold /gencove accept <link>",
    )
    typed = page.value("#composer") or ""
    before = page.send_composer(typed)
    card = page.entry_with(f"Invitation to {ORGANIZATION}", after=before)
    card_css = page.entry_css(card)
    assert "Only visible to you" in page.text(f"{card_css} .only-you")
    assert "pending" in page.entry_text(card)
    accept = f'{card_css} button.sk-button[data-action-id="{ACCEPT}"]'
    page.wait_for(accept, "the Accept button")
    assert page.text(accept) == "Accept"
    page.screenshot("card")

    page.click(accept, "Accept")
    page.until(lambda: "You joined" in page.entry_text(card), "the card to say accepted")
    assert ORGANIZATION in page.entry_text(card)
    assert not page.count(accept)
    page.until(
        lambda: page.text(f"{ivy} .status") == "accepted", "Gencove: ivy's invitation accepted"
    )

    page.open_channel("onboarding")
    page.click('#gencove [data-gencove="poll"]', "Poll now")
    # the watcher may have polled by itself already: any such notification will do
    notice = page.entry_with(f"{invitee} accepted the invitation")
    assert not page.count(f"{page.entry_css(notice)} .only-you")


def test_markup_in_an_address_is_shown_as_text(page: Page) -> None:
    bold = "<b>x</b>@lab.org"
    script = "<script>window.pwned=1</script>@lab.org"
    image = "<img/src/onerror=window.pwned=2>@lab.org"
    before = page.type_command(f"/gencove invite {bold} {script} {image}")
    answer = page.entry_with("not valid email addresses", after=before)
    shown = page.entry_text(answer)
    assert bold in shown
    assert script in shown
    assert image in shown
    codes = page.texts(page.entry_css(answer) + " code")
    assert bold in codes
    assert script in codes

    created = [answer, *(e for e in page.entry_ids() - before)]
    for entry_id in created:
        css = page.entry_css(entry_id)
        assert "x" not in page.texts(f"{css} b"), "a <b> was made from the address"
        assert page.count(f"{css} script") == 0
        assert page.count(f"{css} img") == 0
    assert page.count("#conversation script") == 0
    assert page.driver.execute_script("return window.pwned === undefined")
    assert not page.count('#gencove tr[data-email*="<"]'), "nothing was invited"


def test_a_refusal_is_only_visible_to_whoever_was_refused(page: Page) -> None:
    page.act_as("member")
    before = page.type_command("/gencove list")  # a member's invite asks; a list is refused
    refusal = page.entry_with("manage Gencove invitations here", after=before)
    assert "Only visible to you" in page.text(f"{page.entry_css(refusal)} .only-you")
    typed = page.entry_ids() - before - {refusal}

    page.act_as("admin")
    ids = page.entry_ids()
    assert refusal not in ids
    assert not (typed & ids), "the member's command is not shown to the admin"
    assert not [e for e in page.entries() if "manage Gencove invitations here" in e["text"]]

    page.act_as("member")
    page.wait_for(page.entry_css(refusal), "the refusal, still there for the member")


def test_a_private_channel_without_the_bot_gets_the_result(page: Page) -> None:
    page.open_channel("lab-private")
    assert "lab-private" in page.text("#channel-title")
    email = "pat@lab.org"
    before = page.type_command(f"/gencove invite {email}")
    entry = page.entry_with(email, after=before)
    row = invitation_block(page, entry, email)
    page.wait_for(f'{row} button[data-action-id="{REVOKE}"]', "the Revoke button")
    assert not page.count(f"{page.entry_css(entry)} .only-you"), "seen by everyone"
    # the bot tried to post, was told it is not in the channel, and used the response URL
    page.until(
        lambda: [
            line
            for line in page.texts("#traffic tr")
            if "chat.postMessage G0PRIVATE" in line and "not_in_channel" in line
        ],
        "the traffic pane to show chat.postMessage refused with not_in_channel",
    )
    page.until(lambda: "response_url" in page.text("#traffic"), "a response_url post")

    page.act_as("member")
    page.wait_for(page.entry_css(entry), "the result, seen by another person in the channel")


def test_a_bulk_invites_report_shows_in_its_thread_and_opens(page: Page, tmp_path: Path) -> None:
    addresses = [f"browser-report{i:02d}@lab.org" for i in range(12)]
    table = tmp_path / "cohort.csv"
    table.write_text("email\n" + "\n".join(addresses) + "\n", encoding="utf-8")
    before = page.type_command("/gencove invite")
    page.wait_modal("Invite to Gencove")
    # the modal is updated once Gencove's roles arrive: choose the file in that one
    page.wait_for('#modal select[data-input-block] option[value="member"]', "the roles")
    chooser = '#modal input[type="file"][data-input-block="csv_file"]'
    page.wait_for(chooser, "the CSV file field").send_keys(str(table))
    page.click("#modal .sk-modal-submit", "Invite")
    page.wait_gone("#modal .sk-modal", "the modal to close")
    progress = page.entry_with("is done", after=before, timeout=60)
    assert "12 invited" in page.entry_text(progress)

    thread = f'#conversation details.thread[data-thread-of="{progress}"]'
    page.until(lambda: "1 reply" in page.text(f"{thread} .thread-count"), "1 reply under it")
    assert not page.find(f"{thread} .file-card").is_displayed(), "folded until opened"
    page.click(f"{thread} summary", "1 reply")
    page.until(lambda: page.find(f"{thread} .file-card").is_displayed(), "the report's card")
    shown = page.text(f"{thread} .file-share")
    assert "Gencove Invites" in shown
    assert "The report of this bulk invite" in shown
    name = str(page.attr(f"{thread} .file-card", "data-file-name"))
    assert name.startswith("bulk-invite-")
    assert name.endswith(".csv")
    facts = page.text(f"{thread} .file-meta")
    assert name in facts
    assert "12 rows" in facts
    assert "shared by Gencove Invites" in facts
    assert page.text(f"{thread} .file-title").endswith(": 12 addresses")
    page.click(f"{thread} .file-preview summary", "Preview")
    page.until(lambda: page.count(f"{thread} .file-table tbody tr") == 10, "the first 10 rows")
    assert page.texts(f"{thread} .file-table th") == [
        "address",
        "role",
        "outcome",
        "invitation id",
        "error",
    ]
    assert "2 more in the file" in page.text(f"{thread} .file-preview")
    page.screenshot("report")

    # the conversation redraws (the bot answers another command): the thread stays open
    more = page.type_command("/gencove help")
    page.entry_with("/gencove", after=more | {progress})
    assert page.driver.execute_script("return document.querySelector(arguments[0]).open", thread)

    _report_opens_and_downloads(page, thread, name, addresses)


def _report_opens_and_downloads(page: Page, thread: str, name: str, addresses: list[str]) -> None:
    """The report's Download link saves the CSV; its Open link shows it in a new tab."""
    link = str(page.attr(f"{thread} a.file-download", "href"))  # absolute, as the DOM has it
    link = urllib.parse.urljoin(page.address, link)
    assert link.startswith("http://127.0.0.1:"), link
    with urllib.request.urlopen(link, timeout=15) as saved:  # noqa: S310 - loopback, checked
        assert saved.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert f'filename="{name}"' in saved.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(saved.read().decode("utf-8-sig"))))
    assert rows[0] == ["address", "role", "outcome", "invitation id", "error"]
    assert sorted(row[0] for row in rows[1:]) == addresses
    assert all(row[2] == "created" and row[3] for row in rows[1:])

    page.click(f"{thread} a.file-open", "Open")  # a new tab, as Slack's "Open" does
    home = page.driver.current_window_handle
    tab = page.until(lambda: next(iter(set(page.driver.window_handles) - {home}), None), "a tab")
    page.driver.switch_to.window(tab)
    try:
        text = page.until(lambda: page.text("body"), "the report in the new tab")
        assert text.splitlines()[0].lstrip("\ufeff") == "address,role,outcome,invitation id,error"
        assert all(address in text for address in addresses)
    finally:
        page.driver.close()
        page.driver.switch_to.window(home)
