"""A bulk invite in the playground: a CSV chosen in the invite modal (the page sends the
file's text, the local Slack hosts it), the bad rows, the choice, the progress message."""

from __future__ import annotations

from tests.playground.control import Page, button


async def test_the_playground_runs_a_bulk_invite_from_a_csv_in_the_modal(page: Page) -> None:
    rows = [f"cohort{i:03d}@lab.org" for i in range(70)] + ["not-an-address"]
    view = await page.invite_from_csv("cohort.csv", "email\n" + "\n".join(rows))
    assert "csv_file" in {b["block_id"] for b in view["blocks"]}
    offer = await page.message_with("Invite the 70 good ones")
    assert "row 72" in str(offer["blocks"])
    start = button(offer, "bulk_start")
    await page.post(
        "/click",
        {
            "user": "admin",
            "channel": "general",
            "ts": offer["ts"],
            "action_id": start["action_id"],
            "block_id": start["block_id"],
            "value": start["value"],
        },
    )
    done = await page.message_with("is done")
    assert "70 invited" in str(done["blocks"])
    assert (await page.invitation("cohort000@lab.org"))["status"] == "pending"
