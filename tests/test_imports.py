"""A `serve` process imports only what it uses (issue 14: idle memory).

Each test starts a fresh interpreter that does what `invite-bot serve` does at start-up,
short of listening and of asking Slack (`auth.test`): settings, `Store.open`, the bot
and its Bolt and aiohttp apps, one /healthz worth of store reads. It then names the
heavy modules it holds. Alembic only when the schema is behind, cryptography only once a
key is linked (a secret key is configured throughout), the watcher only where it runs (not
here: `serve --no-watch`, the Procfile's web process), never the playground.

On SQLite the store runs the standard library's sqlite3 on threads: neither SQLAlchemy's
asyncio extension (with which the ORM comes) nor aiosqlite nor asyncpg is loaded.
SQLAlchemy's PostgreSQL dialect module is, everywhere: the schema names the outbox's
partial index's WHERE for PostgreSQL too (schema.py). On PostgreSQL, asyncpg and the
asyncio extension come, and the ORM with it (`sqlalchemy.ext.asyncio` imports its
session module).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from invite_bot.store import Store
from invite_bot.store.migrate import HEAD_REVISION

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "alembic",
    "cryptography",
    "asyncpg",
    "aiosqlite",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "invite_bot.playground",
    "invite_bot.features.notify.watcher",
)
# Imported wherever schema.py is (see the module's docstring).
EVERYWHERE = ["sqlalchemy.dialects.postgresql"]
POSTGRESQL = [
    "asyncpg",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
]

START_UP = """
import asyncio, json, sys
from datetime import UTC, datetime

import invite_bot.__main__  # the command line, as `python -m invite_bot serve` runs it
from invite_bot.domain.health import Watching
from invite_bot.config.settings import load_settings
from invite_bot.app import build_app, build_bot
from invite_bot.slack.http import web_app
from invite_bot.store import Store

HEAVY = {heavy!r}

async def main(url, link):
    settings = load_settings(env_file=None, database_url=url)
    store = await Store.open(settings.database_url)
    bot = build_bot(settings, store)
    try:
        app = build_app(bot, {{"user_id": "U_BOT", "team_id": "T1", "bot_id": "B1"}})
        web_app(app, store, bot.metrics, watching=Watching(60, here_since=datetime.now(UTC)))
        health = await store.health()
        if link:
            vault = bot.features.linking.vault
            vault.decrypt(vault.encrypt("gc-personal-key"))
    finally:
        await bot.gencove.close()
        await bot.slack.session.close()
        await store.close()
    held = [m for m in HEAVY if any(n == m or n.startswith(m + ".") for n in sys.modules)]
    print(json.dumps({{"held": held, "revision": health.current_revision}}))

asyncio.run(main(sys.argv[1], sys.argv[2:] == ["link"]))
"""


def start_up(url: str, *, link: bool = False) -> dict[str, object]:
    """What a fresh interpreter holds after serve's start-up on `url`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "GENCOVE_", "INVITE_", "DATABASE_URL"))
    }
    env |= {
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "GENCOVE_API_KEY": "gc-org-test-key",
        "GENCOVE_API_URL": "http://127.0.0.1:9",
        "INVITE_BOT_SECRET_KEY": Fernet.generate_key().decode(),
    }
    done = subprocess.run(
        [sys.executable, "-c", START_UP.format(heavy=HEAVY), url, *(["link"] if link else [])],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def at_head(url: str) -> str:
    store = await Store.open(url)
    await store.close()
    return url


@pytest.mark.parametrize("driver", ["sqlite", "sqlite+aiosqlite"])
async def test_serve_on_sqlite_at_head_holds_none_of_the_heavy_modules(
    tmp_path: Path, driver: str
) -> None:
    url = await at_head(f"{driver}:///{tmp_path / 'bot.sqlite3'}")

    assert start_up(url) == {"held": EVERYWHERE, "revision": HEAD_REVISION}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_serve_on_postgresql_adds_its_driver_and_the_asyncio_extension(
    database_url: str,
) -> None:
    url = await at_head(database_url)

    assert start_up(url) == {"held": POSTGRESQL, "revision": HEAD_REVISION}


async def test_a_schema_behind_imports_alembic_and_is_upgraded(database_url: str) -> None:
    result = start_up(database_url)  # an empty database: every migration to run

    assert result["revision"] == HEAD_REVISION
    assert "alembic" in result["held"]  # type: ignore[operator]
    if database_url.startswith("sqlite"):
        assert "sqlalchemy.orm" not in result["held"]  # type: ignore[operator]


async def test_a_linked_key_brings_cryptography(tmp_path: Path) -> None:
    url = await at_head(f"sqlite:///{tmp_path / 'bot.sqlite3'}")

    assert start_up(url, link=True)["held"] == ["cryptography", *EVERYWHERE]
