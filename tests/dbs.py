"""Databases for tests: code that touches the store is tested on SQLite and PostgreSQL.

Each test gets an empty database of its own: a SQLite file in its tmp_path, or a fresh
PostgreSQL database created on the server named by TEST_DATABASE_URL and dropped after
(about 30 ms; it also keeps advisory locks apart, which a per-test schema would not).

Use from any test folder's conftest.py:

    from tests.dbs import database_url as database_url  # the parametrized fixture

or build your own fixture on `DATABASES` and `fresh_database(kind, tmp_path)`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from invite_bot.store import normalise_database_url

POSTGRES_URL_VARIABLE = "TEST_DATABASE_URL"
NO_POSTGRES = "TEST_DATABASE_URL not set: start one with scripts/start-postgres.sh"

# The kinds of database, for @pytest.fixture(params=...) or @pytest.mark.parametrize.
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql"),
]


def postgres_server_url() -> str:
    """TEST_DATABASE_URL; without it skip the test, or fail it under CI=true so a CI run
    can never pass having silently tested SQLite only."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if url:
        return normalise_database_url(url)
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{NO_POSTGRES} (CI=true: the PostgreSQL tests must run)")
    pytest.skip(NO_POSTGRES)


@asynccontextmanager
async def fresh_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of `kind` ("sqlite" | "postgresql"), removed after."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'invite-bot.sqlite3'}"
    elif kind == "postgresql":
        async with _fresh_postgres_database(postgres_server_url()) as url:
            yield url
    else:
        raise ValueError(f"unknown database kind {kind!r}")


@asynccontextmanager
async def _fresh_postgres_database(server_url: str) -> AsyncIterator[str]:
    name = f"ib_test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            # FORCE: a test that leaked a connection must not leave its database behind.
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database per test, once on SQLite and once on PostgreSQL."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url
