"""A direct message to the bot, as Slack delivers it: the `message` event (`channel_type:
"im"`) for a typed message, and for an attached file the `file_share` message and the
`file_shared` event. First as the bot's end receives them (a stand-in on loopback checks
each request's signature and reads it), then through the playground's real bot."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from invite_bot.playground.conversations import LocalSlack
from invite_bot.playground.direct import (
    Attachment,
    MessageTooLong,
    NotADirectMessage,
    send_direct_message,
)
from invite_bot.playground.slack import MAX_TEXT_CHARS, FakeSlack
from invite_bot.playground.world import BOT_USER_ID, TEAM_ID, channel, furnish_slack, person
from tests.playground.control import Page

SECRET = "direct-message-secret"
ADA = person("admin")
DM = channel("dm", ADA)


@dataclass
class Received:
    """What the stand-in for the bot's /slack/events was sent."""

    events: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0


@dataclass
class Wired:
    local: LocalSlack
    slack: FakeSlack
    received: Received


@pytest.fixture
async def wired() -> AsyncIterator[Wired]:
    received = Received()

    async def events(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers["X-Slack-Request-Timestamp"]
        base = b"v0:" + stamp.encode() + b":" + body
        expected = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers["X-Slack-Signature"]):
            received.bad_signatures += 1
            return web.Response(status=401)
        assert request.headers["Content-Type"] == "application/json"
        received.events.append(json.loads(body))
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    bot_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with (
            FakeSlack("xoxb-direct", team_id=TEAM_ID, bot_user_id=BOT_USER_ID) as slack,
            aiohttp.ClientSession() as session,
        ):
            furnish_slack(slack)
            yield Wired(LocalSlack(slack, bot_url, SECRET, session), slack, received)
    finally:
        await runner.cleanup()


async def test_a_typed_message_in_the_dm_is_a_message_event_of_channel_type_im(
    wired: Wired,
) -> None:
    typed = "Please invite:\nana@lab.org, bob@lab.org & <friends>"
    [answer] = await send_direct_message(wired.local, ADA, DM, typed)
    assert answer.status == 200
    assert wired.received.bad_signatures == 0
    [callback] = wired.received.events
    assert callback["type"] == "event_callback"
    assert callback["team_id"] == TEAM_ID
    assert callback["event_id"].startswith("Ev")
    event = callback["event"]
    assert event["type"] == "message"
    assert event["channel_type"] == "im"
    assert event["channel"] == DM.channel_id == "D0ADMIN01"
    assert event["user"] == ADA.user_id
    assert "subtype" not in event
    assert "bot_id" not in event
    assert event["ts"] == event["event_ts"]
    # as Slack's client sends it: escaped, the addresses made into mailto links
    assert event["text"] == (
        "Please invite:\n<mailto:ana@lab.org|ana@lab.org>, "
        "<mailto:bob@lab.org|bob@lab.org> &amp; &lt;friends&gt;"
    )
    [block] = event["blocks"]
    assert block["type"] == "rich_text"
    runs = block["elements"][0]["elements"]
    assert {"type": "link", "url": "mailto:ana@lab.org", "text": "ana@lab.org"} in runs

    # the local Slack holds it as the person's message, in the DM's history
    [sent] = [m for m in wired.slack.messages.values() if m.user == ADA.user_id]
    assert (sent.channel, sent.ts) == (DM.channel_id, event["ts"])
    shown = wired.local.conversation(ADA, DM)
    assert [entry.author for entry in shown] == [ADA.user_id]


async def test_a_file_in_the_dm_is_a_file_share_message_and_a_file_shared_event(
    wired: Wired,
) -> None:
    csv = "email,role\nana@lab.org,member\n"
    answers = await send_direct_message(
        wired.local, ADA, DM, "", [Attachment("cohort.csv", csv.encode())]
    )
    assert [answer.status for answer in answers] == [200, 200]
    message, shared = (callback["event"] for callback in wired.received.events)
    assert message["type"] == "message"
    assert message["subtype"] == "file_share"
    assert message["channel_type"] == "im"
    assert message["channel"] == DM.channel_id
    assert message["user"] == ADA.user_id
    assert message["text"] == ""
    [described] = message["files"]
    assert described["name"] == "cohort.csv"
    assert described["mimetype"] == "text/csv"
    assert described["size"] == len(csv)
    assert described["ims"] == [DM.channel_id]
    assert shared == {
        "type": "file_shared",
        "channel_id": DM.channel_id,
        "file_id": described["id"],
        "user_id": ADA.user_id,
        "file": {"id": described["id"]},
        "event_ts": message["ts"],
    }
    # the bot can read it, with its token, as from Slack
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            described["url_private"], headers={"Authorization": "Bearer xoxb-direct"}
        ) as response,
    ):
        assert response.status == 200
        assert await response.text() == csv
    # one entry in the DM: the message, with its file
    [entry] = wired.local.conversation(ADA, DM)
    assert entry.author == ADA.user_id
    assert entry.file is not None
    assert entry.file.id == described["id"]


async def test_a_message_in_a_channel_does_not_reach_the_bot(wired: Wired) -> None:
    with pytest.raises(NotADirectMessage, match="only /gencove"):
        await send_direct_message(wired.local, ADA, channel("general", ADA), "ana@lab.org")
    assert wired.received.events == []
    assert not wired.slack.messages


async def test_a_message_longer_than_slack_takes_is_not_sent(wired: Wired) -> None:
    addresses = "\n".join(f"long{i:05d}@lab.org" for i in range(2_500))
    assert len(addresses) > MAX_TEXT_CHARS
    with pytest.raises(MessageTooLong, match="attach the list as a CSV"):
        await send_direct_message(wired.local, ADA, DM, addresses)
    assert wired.received.events == []


# -- through the playground's real bot ---------------------------------------------------


async def _dm(shown: Page, text: str, files: list[dict[str, str]] | None = None) -> Any:
    body: dict[str, Any] = {"user": "admin", "channel": "dm", "text": text}
    if files:
        body["files"] = files
    return await shown.post("/message", body)


async def test_a_list_pasted_in_the_dm_is_invited_by_the_bot(page: Page) -> None:
    answer = await _dm(page, "dm-ana@lab.org\ndm-bob@lab.org\ndm-cy@lab.org")
    assert answer == {"ok": True, "statuses": [200]}
    done = await page.message_with("is done", channel="dm")
    assert "3 invited" in json.dumps(done["blocks"])
    assert (await page.invitation("dm-cy@lab.org"))["status"] == "pending"
    shown = await page.messages(channel="dm")
    mine = [m for m in shown if m["from"] == ADA.user_id]
    assert len(mine) == 1
    assert "mailto:dm-ana@lab.org" in mine[0]["text"]
    traffic = (await page.get("/traffic"))["traffic"]
    assert any(
        row["where"] == "→ bot" and "message from @ada in a DM" in row["what"] for row in traffic
    )


async def test_a_csv_sent_in_the_dm_is_invited_by_the_bot(page: Page) -> None:
    rows = "email\n" + "\n".join(f"dm-file{i}@lab.org" for i in range(4))
    answer = await _dm(page, "", [{"name": "cohort.csv", "text": rows}])
    assert answer == {"ok": True, "statuses": [200, 200]}
    done = await page.message_with("is done", channel="dm")
    assert "4 invited" in json.dumps(done["blocks"])
    assert (await page.invitation("dm-file3@lab.org"))["status"] == "pending"
    [shared] = [m for m in await page.messages(channel="dm") if m["from"] == ADA.user_id]
    assert shared["file"]["name"] == "cohort.csv"
    assert shared["file"]["rows"] == 4


async def test_words_without_an_address_get_the_bots_hint(page: Page) -> None:
    await _dm(page, "hello, what can you do?")
    await page.message_with("send me a CSV file", channel="dm")
    refused = await page.post(
        "/message", {"user": "admin", "channel": "general", "text": "hi"}, status=400
    )
    assert "only /gencove reaches the bot" in refused["error"]
