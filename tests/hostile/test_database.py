"""The database failing under the running bot (issue 15: "Health that tells the truth",
"A full disk mid-invite"; issue 10: one typed `StoreUnavailable`).

The faults are real, on disk, under the real `invite-bot serve` process: the SQLite file
deleted, or replaced by a directory (tests run as root, so a chmod would not stop writes;
a directory in its place fails every new connection, and the bot's check of the file's
identity fails the pooled ones), and the schema moved off the expected revision.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack, SlackDelivery, deliver, slash_command_body
from invite_bot.store import Store, StoreUnavailable
from invite_bot.store.migrate import expected_revision
from tests.faults import Fault, GencoveFaults
from tests.support.harness import ADMIN, SIGNING_SECRET, sqlite_url
from tests.support.served import ServedBot, served_bot

INVITATIONS = "/api/v2/invitations/"
CANNOT_SAVE = "cannot save right now"


@pytest.fixture
async def served(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> AsyncIterator[ServedBot]:
    async with served_bot(gencove, slack, tmp_path) as bot:
        yield bot


async def health(bot: ServedBot) -> tuple[int, Any]:
    async with bot.session.get(f"{bot.url}/healthz") as response:
        return response.status, await response.json()


async def health_until(bot: ServedBot, predicate: Any, timeout: float = 30.0) -> Any:
    """GET /healthz until `predicate(status, body)` holds; the last body."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = await health(bot)
        if predicate(status, body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"/healthz never got there: {status} {body}\n{bot.output()}")
        await asyncio.sleep(0.05)


async def command(bot: ServedBot, text: str) -> tuple[SlackDelivery, str]:
    """`/gencove text` from the admin; (the ack, the command's response_url)."""
    response_url = bot.slack.new_response_url()
    body = slash_command_body(
        text,
        user_id=ADMIN,
        channel_id="C_GENERAL",
        response_url=response_url,
        trigger_id=bot.slack.new_trigger_id(),
    )
    return await deliver(bot.session, f"{bot.url}/slack/events", body, SIGNING_SECRET), response_url


def replies(slack: FakeSlack, response_url: str) -> str:
    return "\n".join(str(post.get("text") or "") for post in slack.response_posts(response_url))


def database_files(tmp_path: Path) -> list[Path]:
    main = tmp_path / "bot.sqlite3"
    return [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-shm")]


def replace_database_with_directory(tmp_path: Path) -> None:
    """What a vanished or remounted volume looks like to the process: the path is there,
    but no longer the database file it opened (and SQLite cannot open a directory)."""
    for path in database_files(tmp_path):
        path.unlink(missing_ok=True)
    database_files(tmp_path)[0].mkdir()


def ok_and_polling(status: int, body: Any) -> bool:
    return status == 200 and body["watcher"]["state"] == "polling"


async def test_healthz_reports_schema_watcher_and_outbox(served: ServedBot) -> None:
    body = await health_until(served, ok_and_polling)
    assert body["ok"] is True
    assert body["database"] == "reachable"
    assert body["schema"] == {
        "current": expected_revision(),
        "expected": expected_revision(),
        "ok": True,
    }
    watcher = body["watcher"]
    assert watcher["runs_here"] is True
    assert 0 <= watcher["last_poll_age_seconds"] <= watcher["stalled_after_seconds"]
    assert body["outbox"]["waiting"] >= 0
    assert "oldest_age_seconds" in body["outbox"]


async def test_healthz_fails_when_the_sqlite_file_is_deleted(
    served: ServedBot, gencove: FakeGencove, tmp_path: Path
) -> None:
    await health_until(served, ok_and_polling)
    for path in database_files(tmp_path):
        path.unlink(missing_ok=True)

    body = await health_until(served, lambda status, _body: status == 503)
    assert body["ok"] is False
    assert body["database"] == "unavailable"
    assert body["problem"] == "database unavailable: database file gone"
    # A command says so too, instead of writing into the deleted file.
    _ack, response_url = await command(served, "invite ana@lab.org")
    await served.slack.wait_for(lambda: CANNOT_SAVE in replies(served.slack, response_url))
    assert gencove.find("ana@lab.org") == []


async def test_healthz_fails_when_the_schema_is_not_the_expected_revision(
    served: ServedBot, tmp_path: Path
) -> None:
    await health_until(served, ok_and_polling)
    with sqlite3.connect(database_files(tmp_path)[0]) as conn:  # an older bot's schema
        conn.execute("UPDATE alembic_version SET version_num = '0001'")

    body = await health_until(served, lambda status, _body: status == 503)
    assert body["database"] == "reachable"
    assert body["schema"] == {"current": "0001", "expected": expected_revision(), "ok": False}
    assert "invite-bot migrate" in body["problem"]


async def test_without_a_watcher_healthz_says_so_and_does_not_fail(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with served_bot(gencove, slack, tmp_path, "--no-watch") as bot:
        status, body = await health(bot)
        assert status == 200, body
        assert body["watcher"]["runs_here"] is False
        assert body["watcher"]["state"] == "never polled"
        assert body["watcher"]["last_poll_age_seconds"] is None


async def test_a_stalled_watcher_fails_healthz(
    gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack, tmp_path: Path
) -> None:
    # Gencove's pending list fails on every poll: the watcher never polls successfully.
    gencove_faults.inject("GET", INVITATIONS, Fault.status(500).times(0))
    async with served_bot(gencove, slack, tmp_path, GENCOVE_MAX_RETRIES="0") as bot:
        first = await health(bot)
        body = await health_until(bot, lambda status, _body: status == 503)
        assert body["watcher"]["state"] == "stalled"
        assert body["database"] == "reachable"
        assert body["schema"]["ok"] is True
        assert "not polled successfully" in body["problem"]
        # Before five intervals had passed it was only starting (or, on a very busy
        # machine, already stalled): never "polling".
        assert first[1]["watcher"]["state"] in ("starting", "stalled")


async def test_a_replaced_database_answers_cannot_save_and_the_bot_keeps_answering(
    served: ServedBot, gencove: FakeGencove, tmp_path: Path
) -> None:
    await health_until(served, ok_and_polling)
    replace_database_with_directory(tmp_path)

    _ack, response_url = await command(served, "invite ana@lab.org")
    await served.slack.wait_for(lambda: CANNOT_SAVE in replies(served.slack, response_url))
    text = replies(served.slack, response_url)
    assert "nothing was changed" in text
    assert "Try again in a few minutes" in text
    assert gencove.find("ana@lab.org") == [], "invited although nothing could be saved"

    # The process is still there, and answers what needs no database.
    help_ack, _ = await command(served, "help")
    assert help_ack.status == 200
    assert "/gencove invite" in help_ack.text
    second, second_url = await command(served, "invite bob@lab.org")
    assert second.status == 200
    await served.slack.wait_for(lambda: CANNOT_SAVE in replies(served.slack, second_url))

    # One clear line per failure, not a traceback storm.
    await health_until(served, lambda status, _body: status == 503)
    lines = served.log_lines()
    assert any("database unavailable: database file replaced" in line for line in lines)
    assert not any("Traceback" in line for line in lines), "\n".join(lines[-40:])


async def test_the_database_failing_after_gencove_invited_says_what_was_made(
    gencove: FakeGencove, gencove_faults: GencoveFaults, slack: FakeSlack, tmp_path: Path
) -> None:
    # The create takes effect at Gencove, then its answer is slow: the database goes away
    # in between, as a disk filling up mid-invite would.
    gencove_faults.inject("POST", INVITATIONS, Fault.hang(3.0, after_effect=True))
    async with served_bot(gencove, slack, tmp_path, GENCOVE_TIMEOUT="20") as bot:
        await health_until(bot, ok_and_polling)
        _ack, response_url = await command(bot, "invite ana@lab.org")
        await slack.wait_for(lambda: gencove.find("ana@lab.org"), timeout=30)
        replace_database_with_directory(tmp_path)

        await slack.wait_for(lambda: replies(slack, response_url), timeout=30)
        text = replies(slack, response_url)
        assert "nothing was changed" not in text
        assert "invited ana@lab.org" in text
        assert "Do not repeat it" in text
        assert len(gencove.find("ana@lab.org")) == 1


# -- the store's one exception, on real SQLite faults ------------------------------------


async def test_a_read_only_database_raises_store_unavailable(tmp_path: Path) -> None:
    async with await Store.open(sqlite_url(tmp_path)):
        pass  # migrated, closed
    path = tmp_path / "bot.sqlite3"
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    async with await Store.open(read_only, migrate=False) as store:
        assert await store.read(lambda tx: tx.state.get("nothing")) is None  # reads still work
        with pytest.raises(StoreUnavailable) as caught:
            await store.write(lambda tx: tx.state.set("k", "v"))
        assert caught.value.kind == "read-only"


async def test_a_database_file_replaced_under_the_store_raises_store_unavailable(
    tmp_path: Path,
) -> None:
    async with await Store.open(sqlite_url(tmp_path)) as store:
        await store.write(lambda tx: tx.state.set("k", "v"))
        for path in database_files(tmp_path):
            path.unlink(missing_ok=True)
        with pytest.raises(StoreUnavailable) as caught:
            await store.write(lambda tx: tx.state.set("k", "w"))
        assert caught.value.kind == "database file gone"
        database_files(tmp_path)[0].mkdir()
        with pytest.raises(StoreUnavailable) as caught:
            await store.read(lambda tx: tx.state.get("k"))
        assert caught.value.kind == "database file replaced"
        shutil.rmtree(database_files(tmp_path)[0])
