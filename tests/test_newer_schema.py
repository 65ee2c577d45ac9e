"""A bot started on a database a newer version migrated refuses to start, saying so and
naming the revision; /healthz of one already running says to roll it forward."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from invite_bot.domain.health import DatabaseFacts, report
from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from invite_bot.store import Store
from invite_bot.store.migrate import HEAD_REVISION
from tests.support.harness import bot_environment, sqlite_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_on_a_newer_schema_says_so_and_names_the_revision(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    await (await Store.open(url)).close()
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    env = {**os.environ, **bot_environment(gencove, slack, url), "PORT": str(free_port())}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "invite_bot",
        "serve",
        "--host",
        "127.0.0.1",
        "--no-watch",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    said = err.decode()
    assert process.returncode == 1
    assert "revision 0099, newer than this version of the bot" in said
    assert f"up to {HEAD_REVISION}" in said
    assert "Check DATABASE_URL" not in said


def test_health_of_an_old_replica_says_to_roll_it_forward() -> None:
    facts = DatabaseFacts(None, "0099", HEAD_REVISION)
    ok, body = report(facts, None, datetime.now(UTC))
    assert not ok
    assert "newer than this version" in body["problem"]
    assert "run `invite-bot migrate`" not in body["problem"]
