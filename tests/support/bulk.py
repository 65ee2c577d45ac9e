"""What the bulk invite tests share: addresses, a DM to the bot (pasted text or a file),
the progress message, its report in the thread, and the check that each address was
invited once."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, Message, event_body
from invite_bot.playground.slack_files import SlackFile
from tests.support.harness import ADMIN

CREATE = "/api/v2/invitations/"
DM = "D" + ADMIN[1:]  # the admin's DM with the bot, as the local Slack names it


def addresses(count: int, prefix: str = "p") -> list[str]:
    return [f"{prefix}{i:04d}@lab.org" for i in range(count)]


def dm_message(text: str = "", files: list[dict[str, Any]] | None = None) -> bytes:
    event: dict[str, Any] = {
        "type": "message",
        "channel": DM,
        "channel_type": "im",
        "user": ADMIN,
        "text": text,
        "ts": f"{time.time():.6f}",
    }
    if files is not None:
        event["subtype"] = "file_share"
        event["files"] = files
    return event_body(event)


def file_shared(shared: SlackFile) -> bytes:
    return event_body(
        {
            "type": "file_shared",
            "file_id": shared.id,
            "user_id": ADMIN,
            "file": {"id": shared.id},
            "channel_id": DM,
            "event_ts": f"{time.time():.6f}",
        }
    )


def progress_of(slack: FakeSlack) -> list[Message]:
    return [
        m
        for m in slack.messages.values()
        if any(b.get("block_id") in ("bulk_progress", "bulk_summary") for b in m.blocks or [])
    ]


def finished(message: Message) -> bool:
    return any(b.get("block_id") == "bulk_summary" for b in message.blocks or [])


async def final_message(slack: FakeSlack, timeout: float = 120.0) -> Message:
    found = await slack.wait_for(
        lambda: [m for m in progress_of(slack) if finished(m)], timeout=timeout
    )
    [message] = found
    return message


async def report_of(slack: FakeSlack, message: Message) -> list[dict[str, str]]:
    [uploaded] = await slack.wait_for(lambda: slack.files.uploaded_by_bot(), timeout=60)
    assert uploaded.channels == [message.channel]
    assert uploaded.thread_ts == message.ts  # in the progress message's thread
    return list(csv.DictReader(io.StringIO(uploaded.text)))


def invited_once(gencove: FakeGencove, emails: list[str]) -> None:
    for email in emails:
        found = gencove.find(email)
        assert len(found) == 1, f"{email} invited {len(found)} times"
