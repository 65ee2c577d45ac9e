"""The playground through its control API: the same requests the page sends.

Each test starts the whole playground in-process (Gencove sandbox, local Slack, the real
bot as `serve` starts it, the page) on loopback ports and drives it over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.playground.control import Page, button


async def test_invite_then_revoke_updates_the_message_and_gencove(page: Page) -> None:
    answer = await page.command("invite ana@lab.org")
    assert answer["status"] == 200
    message = await page.message_with("ana@lab.org", kind="message")
    assert message["only_visible_to"] is None  # in the channel, for everyone
    revoke = button(message, "revoke_invitation")
    invitation = await page.invitation("ana@lab.org")
    assert invitation["status"] == "pending"
    assert invitation["id"] in revoke["value"]

    clicked = await page.post(
        "/click",
        {
            "user": "admin",
            "channel": "general",
            "ts": message["ts"],
            "action_id": revoke["action_id"],
            "block_id": revoke["block_id"],
            "value": revoke["value"],
        },
    )
    assert clicked["ok"]

    async def revoked() -> bool:
        [now] = [m for m in await page.messages() if m["ts"] == message["ts"]]
        # Revoke is gone; the revoked row offers Re-invite instead.
        again = [b["action_id"] for b in now["buttons"]] == ["reinvite_invitation"]
        return now["edited"] and again and "revoked" in json.dumps(now["blocks"])

    await page.until(revoked, "the message to show the invitation revoked")
    assert (await page.invitation("ana@lab.org"))["status"] == "revoked"
    # the member sees the same channel message, with only Re-invite left on it
    [seen] = [m for m in await page.messages(user="member") if m["ts"] == message["ts"]]
    assert [b["action_id"] for b in seen["buttons"]] == ["reinvite_invitation"]


async def test_the_invite_modal_shows_a_bad_address_on_its_field(page: Page) -> None:
    await page.command("invite")
    # the modal opens at once, then gets the roles from Gencove: submit to that one (an
    # update landing after the submission would, as in Slack, clear the field's error)
    opened = await page.until(lambda: _view(page, with_roles=True), "the invite modal")
    view = opened["view"]
    assert view["callback_id"] == "invite_modal"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert "addresses" in blocks

    answer = await page.post(
        "/submit", {"user": "admin", "values": {"addresses": {"addresses_input": "not-an-address"}}}
    )
    assert answer["ack"]["response_action"] == "errors"
    still = await page.get("/view", user="admin")
    assert "not-an-address" in still["errors"]["addresses"]

    answer = await page.post(
        "/submit", {"user": "admin", "values": {"addresses": {"addresses_input": "kim@lab.org"}}}
    )
    assert answer["ok"]
    assert (await page.get("/view", user="admin"))["view"] is None
    await page.message_with("kim@lab.org", kind="message")
    assert (await page.invitation("kim@lab.org"))["status"] == "pending"


async def _view(page: Page, *, with_roles: bool = False) -> Any:
    opened = await page.get("/view", user="admin")
    if not opened["view"]:
        return None
    if with_roles and not any(
        (block.get("element") or {}).get("options") for block in opened["view"]["blocks"]
    ):
        return None
    return opened


async def test_the_invitee_links_a_key_accepts_and_the_channel_hears_it(page: Page) -> None:
    key = await _personal_key(page, "invitee")
    await page.command("link", user="invitee", channel="dm")

    async def link_modal() -> Any:
        opened = await page.get("/view", user="invitee")
        return opened if opened["view"] else None

    opened = await page.until(link_modal, "the link modal")
    assert opened["view"]["callback_id"] == "link_modal"
    answer = await page.post(
        "/submit", {"user": "invitee", "values": {"api_key": {"api_key_input": key}}}
    )
    assert answer["ok"]

    async def linked() -> bool:
        opened = await page.get("/view", user="invitee")
        return "is linked" in json.dumps(opened["view"])

    await page.until(linked, "the modal to say the account is linked")
    await page.post("/close", {"user": "invitee"})

    link = (await page.invitation("ivy@partner.org"))["link"]
    await page.command(f"accept {link}", user="invitee", channel="general")
    card = await page.message_with("Accept", user="invitee", kind="ephemeral")
    assert card["only_visible_to"] == "U0INVITE1"
    accept = button(card, "accept_invitation")
    assert card["ts"] not in [m["ts"] for m in await page.messages(user="admin")]
    await page.post(
        "/click",
        {
            "user": "invitee",
            "channel": "general",
            "ts": card["ts"],
            "action_id": accept["action_id"],
            "block_id": accept["block_id"],
            "value": accept["value"],
        },
    )

    async def accepted() -> bool:
        [now] = [m for m in await page.messages(user="invitee") if m["ts"] == card["ts"]]
        return bool(now["edited"]) and not now["buttons"]

    await page.until(accepted, "the card to show the invitation accepted")
    assert (await page.invitation("ivy@partner.org"))["status"] == "accepted"
    await page.post("/poll", {})
    note = await page.message_with("accepted the invitation", channel="onboarding")
    assert "ivy@partner.org" in note["text"]


async def _personal_key(page: Page, role: str) -> str:
    state = await page.get("/state", user=role, channel="general")
    marker = f'data-key-for="{role}">'
    start = state["gencove"].index(marker) + len(marker)
    return str(state["gencove"][start : state["gencove"].index("<", start)])


async def _token_of(page: Page, email: str) -> str:
    return str((await page.invitation(email))["link"].rsplit("/", 1)[1])


async def test_a_member_is_refused_privately(page: Page) -> None:
    await page.command("list", user="member")
    refusal = await page.message_with("Only", user="member", kind="ephemeral")
    assert refusal["only_visible_to"] == "U0MEMBER1"
    assert refusal["ts"] not in [m["ts"] for m in await page.messages(user="admin")]
    assert await _gencove_creates(page) == 0


async def test_a_member_asks_and_the_admin_approves(page: Page) -> None:
    """Act as Max (a member), then as Ada (an admin): the request flow on the page."""
    await page.command("invite bob2@lab.org", user="member")
    note = await page.message_with("Asked the inviters", user="member", kind="ephemeral")
    assert note["only_visible_to"] == "U0MEMBER1"
    # No INVITE_ADMINS nor approval channel here: the notification channel gets it.
    request = await page.message_with("asks to invite", channel="onboarding", kind="message")
    approve = button(request, "request_approve")
    assert button(request, "request_deny")["style"] == "danger"
    assert await _gencove_creates(page) == 0
    clicked = await page.post(
        "/click",
        {
            "user": "admin",
            "channel": "onboarding",
            "ts": request["ts"],
            "action_id": approve["action_id"],
            "block_id": approve["block_id"],
            "value": approve["value"],
        },
    )
    assert clicked["ok"]
    told = await page.message_with("was approved by", channel="dm", user="member")
    assert "bob2@lab.org" in told["text"]
    assert (await page.invitation("bob2@lab.org"))["status"] == "pending"
    assert await _gencove_creates(page) == 1


async def _gencove_creates(page: Page) -> int:
    rows = (await page.get("/traffic"))["traffic"]
    return sum(1 for r in rows if r["where"] == "Gencove" and r["what"].startswith("POST"))


async def test_in_a_channel_the_bot_is_not_in_the_result_comes_through_the_response_url(
    page: Page,
) -> None:
    await page.command("invite pat@lab.org", channel="lab-private")
    message = await page.message_with("pat@lab.org", channel="lab-private", kind="message")
    assert message["only_visible_to"] is None
    assert button(message, "revoke_invitation")
    calls = (await page.get("/traffic"))["traffic"]
    assert any(r["what"] == "chat.postMessage G0PRIVATE" and r["status"] != "ok" for r in calls)


async def test_changes_made_in_gencove_are_notified_after_a_poll(page: Page) -> None:
    made = await page.post("/gencove/invitations", {"email": "lee@lab.org", "role": "viewer"})
    invitation_id = made["invitation"]["id"]
    await page.post("/poll", {})
    await page.message_with("lee@lab.org", channel="onboarding")
    await page.post(f"/gencove/{invitation_id}/expire", {})
    await page.post("/poll", {})
    await page.message_with("expired", channel="onboarding")
    refused = await page.post(f"/gencove/{invitation_id}/revoke", {}, status=409)
    assert "expired" in refused["error"]


async def test_text_from_a_person_is_shown_as_text(page: Page) -> None:
    await page.command("invite <b>x</b>@lab.org <script>alert(1)</script>")
    await page.message_with("not valid email addresses", kind="ephemeral")
    state = await page.get("/state", user="admin", channel="general")
    html = state["conversation"]
    assert "<b>x</b>" not in html
    assert "<script>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


async def test_the_traffic_inspector_masks_tokens_and_keys(page: Page) -> None:
    token = await _token_of(page, "bob@lab.org")
    await page.command(f"accept {token}", user="admin")
    await page.message_with("Playground Genomics", kind="ephemeral")
    rows = json.dumps((await page.get("/traffic"))["traffic"])
    assert "invitations-token/" in rows
    assert token not in rows
    assert await _personal_key(page, "admin") not in rows
    state = await page.get("/state", user="admin", channel="general")
    assert token not in state["traffic"]


async def test_the_control_api_says_what_is_wrong(page: Page) -> None:
    assert (await page.post("/command", {"user": "nobody", "text": "help"}, status=400))[
        "error"
    ].startswith("user is one of")
    assert (
        "channel is one of"
        in (await page.post("/command", {"channel": "random", "text": "help"}, status=400))["error"]
    )
    missing = await page.post(
        "/click", {"channel": "general", "ts": "1.2", "action_id": "x"}, status=404
    )
    assert "no message" in missing["error"]
    assert (await page.post("/submit", {"values": {}}, status=409))["error"] == "no modal is open"


async def test_the_playground_command_starts_with_nothing_configured(tmp_path: Path) -> None:
    """`invite-bot playground` in an empty folder, with no Slack or Gencove setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GENCOVE_"))}
    env.pop("DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "invite_bot",
        "playground",
        "--port",
        "0",
        "--seed",
        "3",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        assert line.startswith("invite-bot playground: open http://127.0.0.1:")
        address = line.split("open ", 1)[1].split()[0]
        async with aiohttp.ClientSession() as session:
            async with session.get(address) as response:
                assert response.status == 200
                assert "invite-bot playground" in await response.text()
            rows = await (await session.get(address + "playground/api/gencove/invitations")).json()
            assert sum(r["email"].endswith("@seed.lab.org") for r in rows["invitations"]) == 3
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        assert code == 0
        rest = (await process.stdout.read()).decode()
        assert rest == ""  # one line, nothing else
        assert list(tmp_path.iterdir()) == []  # its database lived in a temporary folder
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_reminder_says_when_the_invitation_expires_as_people_say_it(
    page: Page,
) -> None:
    await page.command("invite ivo@lab.org")
    await page.message_with("ivo@lab.org", kind="message")
    await page.post("/poll", {})  # the watcher's silent baseline
    invitation = await page.invitation("ivo@lab.org")
    await page.post(f"/gencove/{invitation['id']}/expire-soon", {})
    await page.post("/poll", {})
    await page.message_with("alarm_clock", channel="onboarding")
    state = await page.get("/state", user="admin", channel="onboarding")
    # Within the hour: "today at 5:35 PM" (or "tomorrow at 12:20 AM" just before midnight
    # UTC), as Slack shows the bot's date token; not a bare date nor "Today" mid-sentence.
    shown = re.sub(r"<[^>]+>", "", state["conversation"]).replace("\u200b", "")
    assert re.search(r"expires (today|tomorrow) at \d{1,2}:\d\d [AP]M", shown), shown
