"""GET /readyz of the real `serve` and `watch` processes (issue 24: "Health that tells
the truth for each mode"): ready when the database answers at the schema this version
expects; not ready when the schema is behind or ahead of it, or the database is gone.
Socket Mode's readiness (the socket connected) is in test_socket_mode.py."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from invite_bot.store.migrate import HEAD_REVISION
from tests.support.harness import bot_environment, sqlite_url
from tests.support.processes import start_watcher
from tests.support.served import ServedBot, free_port, served_bot

BEHIND = f"{int(HEAD_REVISION) - 1:04d}"  # the revision an older bot left
AHEAD = f"{int(HEAD_REVISION) + 1:04d}"  # the revision a newer bot migrated to


async def probe(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        return response.status, await response.json()


async def ready_until(bot: ServedBot, status: int, timeout: float = 30.0) -> Any:
    """GET /readyz until it answers `status`; its body."""
    deadline = time.monotonic() + timeout
    while True:
        got, body = await probe(bot.session, f"{bot.url}/readyz")
        if got == status:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"/readyz never answered {status}: {got} {body}\n{bot.output()}")
        await asyncio.sleep(0.05)


def set_revision(tmp_path: Path, revision: str) -> None:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (revision,))


async def test_serve_is_ready_only_at_the_schema_it_expects(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with served_bot(gencove, slack, tmp_path, "--no-watch") as bot:
        status, body = await probe(bot.session, f"{bot.url}/readyz")
        assert status == 200, body
        assert body == {
            "ok": True,
            "database": "reachable",
            "schema": {"current": HEAD_REVISION, "expected": HEAD_REVISION, "ok": True},
        }  # no "socket": HTTP mode has none

        set_revision(tmp_path, BEHIND)  # e.g. restored from an older backup
        body = await ready_until(bot, 503)
        assert body["ok"] is False
        assert body["database"] == "reachable"
        assert body["schema"] == {"current": BEHIND, "expected": HEAD_REVISION, "ok": False}
        assert "run `invite-bot migrate`" in body["problem"]

        set_revision(tmp_path, AHEAD)  # a newer bot migrated it: this replica is the old one
        body = await ready_until(bot, 503)
        assert body["schema"]["current"] == AHEAD
        assert "roll this replica forward" in body["problem"]

        set_revision(tmp_path, HEAD_REVISION)
        body = await ready_until(bot, 200)
        assert body["ok"] is True


async def test_serve_is_not_ready_once_its_database_is_gone(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    async with served_bot(gencove, slack, tmp_path, "--no-watch") as bot:
        await ready_until(bot, 200)
        for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        body = await ready_until(bot, 503)
        assert body["database"] == "unavailable"
        assert body["problem"] == "database unavailable: database file gone"
        assert body["schema"]["ok"] is False


async def test_the_watcher_process_answers_readyz(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), PORT=str(port))
    watcher = await start_watcher(env, tmp_path, "worker", "--host", "127.0.0.1")
    try:
        async with aiohttp.ClientSession() as session:
            await watcher.wait_for_output("invite-bot metrics on")
            status, body = await probe(session, f"http://127.0.0.1:{port}/readyz")
            assert status == 200, body
            assert body["schema"]["ok"] is True
            assert "socket" not in body
            set_revision(tmp_path, BEHIND)
            status, body = await probe(session, f"http://127.0.0.1:{port}/readyz")
            assert status == 503, body
            assert "run `invite-bot migrate`" in body["problem"]
    finally:
        assert await watcher.stop() == 0, watcher.output()
