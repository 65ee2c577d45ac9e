"""Requests nobody answers: one reminder where the request was posted (the approval channel,
or each inviter's DM), with how long it waited and the same buttons; the member told it
still waits. Exactly once across repeated polls, two bots on one database and a restart;
none for a request decided or withdrawn first, none when turned off.

The real bot answers signed requests over loopback; Slack and Gencove are the stand-ins.
The watcher's poll (which settles and reminds requests) is driven by the test.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from invite_bot.features.requests.blocks import APPROVE, DENY, WITHDRAW
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, Message
from invite_bot.store import InviteRequest, NewInviteRequest, Store, Tx
from invite_bot.store.schema import outbox, utcnow
from tests.support.blocks_text import block_text
from tests.support.harness import (
    ADMIN,
    OUTSIDER,
    BotUnderTest,
    bot_environment,
    running_bot,
    sqlite_url,
)
from tests.support.processes import WatcherProcess, start_watcher
from tests.support.waiting import wait_until

APPROVALS = "C0APPROVE"
SECOND = "U0SECOND1"  # another inviter
OUTSIDER_DM = "D" + OUTSIDER[1:]
ADMIN_DM = "D" + ADMIN[1:]
SECOND_DM = "D" + SECOND[1:]
IN_CHANNEL = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "INVITE_REQUEST_REMIND_AFTER": "1s"}


def _reminders(slack: FakeSlack, channel: str) -> list[Message]:
    return [
        m
        for m in slack.messages_in(channel)
        if any(b.get("block_id") == "request_reminder" for b in m.blocks or [])
    ]


def _still_waiting(slack: FakeSlack) -> list[Message]:
    return [
        m
        for m in slack.messages_in(OUTSIDER_DM)
        if any(b.get("block_id") == "still_waiting" for b in m.blocks or [])
    ]


def _buttons(message: Message) -> dict[str, str]:
    return {
        element["action_id"]: element.get("value")
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
    }


async def _until(check: Any, timeout: float = 20.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.02)


async def _ask(bot: BotUnderTest, text: str, *, places: int = 1) -> InviteRequest:
    """The member types `/gencove invite …`; the request once posted `places` times."""
    before = {r.id for r in await bot.store.read(lambda tx: tx.requests.open_requests())}
    _, url = await bot.command(text, user=OUTSIDER)
    await bot.slack.wait_for(lambda: bot.slack.response_posts(url))

    async def posted() -> InviteRequest | None:
        found = await bot.store.read(lambda tx: tx.requests.open_requests(limit=100))
        for request in found:
            if request.id not in before and len(request.messages) >= places:
                return request
        return None

    request: InviteRequest = await _until(posted)
    return request


async def _poll_past(bot: BotUnderTest, request: InviteRequest, polls: int = 3) -> None:
    """Once the request is older than its reminder delay, let the watcher poll."""
    await _until(lambda: (datetime.now(UTC) - request.created_at).total_seconds() > 1.2)
    watcher = bot.bot.watcher()
    for _ in range(polls):
        await watcher.poll()


async def test_one_reminder_in_the_approval_channel_with_the_buttons_and_the_member_told(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **IN_CHANNEL) as bot:
        request = await _ask(bot, "invite bob@partner.org")
        await _poll_past(bot, request)
        [reminder] = _reminders(slack, APPROVALS)
        header = block_text(reminder.blocks, "request_reminder")
        assert "has waited" in header
        assert "seconds" in header  # how long, in words
        assert "<!date^" in header  # when it was asked, as Slack shows dates
        assert "bob@partner.org" in block_text(reminder.blocks, "request")
        assert _buttons(reminder) == {APPROVE: str(request.id), DENY: str(request.id)}
        [told] = _still_waiting(slack)
        assert "still" in (told.text or "") or "has waited" in (told.text or "")
        assert "bob@partner.org" in (told.text or "")
        assert WITHDRAW in str(told.blocks)
        (entry,) = await bot.store.read(lambda tx: tx.audit.entries(action="request_reminded"))
        assert entry.detail["request"] == request.id
        # Its Approve works like the request's own, and the reminder then shows the outcome.
        await bot.click(APPROVE, message=copy.deepcopy(reminder))
        await slack.wait_for(lambda: gencove.find("bob@partner.org"))
        await bot.bot.watcher().poll()
        await _until(lambda: "Approved" in str(slack.messages[(APPROVALS, reminder.ts)].blocks))
        assert _buttons(slack.messages[(APPROVALS, reminder.ts)]) == {}
        await bot.bot.watcher().poll()
    assert len(slack.messages_in(APPROVALS)) == 2  # the request and its one reminder


async def test_each_inviter_is_reminded_in_the_dm_the_request_came_in(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    slack.add_user(SECOND, name="sam")
    env = {"INVITE_ADMINS": f"{ADMIN},{SECOND}", "INVITE_REQUEST_REMIND_AFTER": "1s"}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as bot:
        request = await _ask(bot, "invite bob@partner.org", places=2)
        await _poll_past(bot, request)
    for dm in (ADMIN_DM, SECOND_DM):
        [reminder] = _reminders(slack, dm)
        assert _buttons(reminder) == {APPROVE: str(request.id), DENY: str(request.id)}
    assert len(_still_waiting(slack)) == 1


async def test_no_reminder_for_a_request_withdrawn_or_decided_before_it_was_due(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **IN_CHANNEL) as bot:
        withdrawn = await _ask(bot, "invite bob@partner.org")
        approved = await _ask(bot, "invite cy@partner.org")
        waiting = await _ask(bot, "invite dee@partner.org")
        await bot.click(WITHDRAW, value=str(withdrawn.id), user_id=OUTSIDER)
        posted = [m for m in slack.messages_in(APPROVALS) if "cy@partner.org" in (m.text or "")]
        await bot.click(APPROVE, message=copy.deepcopy(posted[0]))
        await _until(lambda: gencove.find("cy@partner.org"))
        await _until(lambda: bot.store.read(lambda tx: tx.requests.count_open(OUTSIDER) == 1))
        await _poll_past(bot, waiting)
        closed = await bot.store.read(
            lambda tx: [tx.requests.get(r.id) for r in (withdrawn, approved)]
        )
        assert [r.status if r else None for r in closed] == ["withdrawn", "approved"]
    [reminder] = _reminders(slack, APPROVALS)
    assert "dee@partner.org" in block_text(reminder.blocks, "request")
    assert [m for m in _still_waiting(slack) if "dee@partner.org" in (m.text or "")]
    assert len(_still_waiting(slack)) == 1


@pytest.mark.parametrize("setting", ["off", "1h"])
async def test_no_reminder_when_off_or_not_yet_due(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path, setting: str
) -> None:
    env = {"INVITE_APPROVAL_CHANNEL": APPROVALS, "INVITE_REQUEST_REMIND_AFTER": setting}
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **env) as bot:
        request = await _ask(bot, "invite bob@partner.org")
        await _poll_past(bot, request)
        assert await bot.store.read(lambda tx: tx.audit.entries(action="request_reminded")) == []
    assert _reminders(slack, APPROVALS) == []
    assert _still_waiting(slack) == []
    # The same request, once the setting says a second is enough: reminded.
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **IN_CHANNEL) as bot:
        await bot.bot.watcher().poll()
    assert len(_reminders(slack, APPROVALS)) == 1


async def test_exactly_once_with_two_bots_on_one_database_and_across_a_restart(
    gencove: FakeGencove, slack: FakeSlack, database_url: str
) -> None:
    """Two bots polling at once on one database (SQLite and PostgreSQL), then a third
    started after both stopped: each request is reminded once, the member told once."""
    async with (
        running_bot(gencove, slack, database_url, **IN_CHANNEL) as one,
        running_bot(gencove, slack, database_url, **IN_CHANNEL) as two,
    ):
        asked = [await _ask(one, f"invite user{i}@partner.org") for i in range(3)]
        await _until(lambda: (datetime.now(UTC) - asked[-1].created_at).total_seconds() > 1.2)
        for _ in range(3):
            await asyncio.gather(one.bot.watcher().poll(), two.bot.watcher().poll())
    async with running_bot(gencove, slack, database_url, **IN_CHANNEL) as after:
        await after.bot.watcher().poll()
        await after.bot.watcher().poll()
    texts = [block_text(m.blocks, "request") for m in _reminders(slack, APPROVALS)]
    assert sorted(t.split("*")[1] for t in texts if "*" in t) == sorted(
        f"user{i}@partner.org" for i in range(3)
    )
    assert len(texts) == 3
    assert len(_still_waiting(slack)) == 3


async def test_a_reminder_a_dead_sender_left_sending_is_looked_up_not_posted_again(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """The process died after Slack took the reminder but before it recorded so: the next
    leader finds it in the channel's history (its key is in the metadata) and posts none."""
    async with running_bot(gencove, slack, sqlite_url(tmp_path), **IN_CHANNEL) as bot:
        request = await _ask(bot, "invite bob@partner.org")
        await _poll_past(bot, request, polls=1)
        assert len(_reminders(slack, APPROVALS)) == 1
        crashed = await bot.store.write(_as_if_crashed_while_sending)
        assert crashed == 2  # the channel's reminder and the member's note
        await bot.bot.watcher().poll()
        left = await bot.store.read(
            lambda tx: tx.conn.execute(
                select(outbox.c.state).where(outbox.c.kind == "request_reminder")
            ).all()
        )
    assert [state for (state,) in left] == ["sent", "sent"]
    assert len(_reminders(slack, APPROVALS)) == 1
    assert len(_still_waiting(slack)) == 1


def _as_if_crashed_while_sending(tx: Tx) -> int:
    long_ago = utcnow() - timedelta(minutes=10)
    done = tx.conn.execute(
        update(outbox)
        .where(outbox.c.kind == "request_reminder")
        .values(state="sending", slack_ts=None, updated_at=long_ago)
    )
    return int(done.rowcount)


def _asked(tx: Tx, numbers: range) -> None:
    """Requests as a member's `/gencove invite` leaves them: stored, posted for approval."""
    for number in numbers:
        ask = NewInviteRequest(
            requester_slack_id=OUTSIDER,
            channel_id="C_GENERAL",
            addresses=(f"user{number}@partner.org",),
            role=None,
            reason=None,
            expires_at=utcnow() + timedelta(days=7),
            delivery_key=f"asked-{number}",
        )
        request_id, _ = tx.requests.create(ask)
        tx.requests.add_message(request_id, APPROVALS, f"1700000000.{number:06d}")


async def test_exactly_once_across_two_watcher_processes_and_a_killed_leader(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """Two `invite-bot watch` processes on one database, the leader killed with SIGKILL
    and a third started: each request nobody answered is reminded exactly once."""
    url = sqlite_url(tmp_path)
    env = bot_environment(
        gencove, slack, url, WATCH_INTERVAL="0.3", SLACK_POST_INTERVAL="0.05", **IN_CHANNEL
    )
    store = await Store.open(url)
    started: list[WatcherProcess] = []
    try:
        await store.write(lambda tx: _asked(tx, range(3)))
        first = await start_watcher(env, tmp_path, "watcher-a")
        second = await start_watcher(env, tmp_path, "watcher-b")
        started += [first, second]
        await wait_until(
            lambda: len(_reminders(slack, APPROVALS)) >= 3, 30, "3 reminders", *started
        )
        leader = first if "watcher took the lead" in first.output() else second
        await leader.kill()
        await store.write(lambda tx: _asked(tx, range(3, 6)))
        third = await start_watcher(env, tmp_path, "watcher-c")
        started.append(third)
        await wait_until(
            lambda: len(_reminders(slack, APPROVALS)) >= 6, 30, "6 reminders", *started
        )
        await asyncio.sleep(1.5)  # several more polls by whoever leads: nothing more
    finally:
        for process in started:
            await process.kill()
        await store.close()
    texts = [block_text(m.blocks, "request") for m in _reminders(slack, APPROVALS)]
    assert sorted(t.split("*")[1] for t in texts) == [f"user{i}@partner.org" for i in range(6)]
    assert len(_still_waiting(slack)) == 6
