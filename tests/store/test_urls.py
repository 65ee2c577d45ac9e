"""Database URLs as hosting providers hand them out work, and passwords never leak."""

from __future__ import annotations

import logging

import pytest

from invite_bot.store import DEFAULT_DATABASE_URL, Store, normalise_database_url, redact


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://bot:pw@db.example:5432/bot",
            "postgresql+asyncpg://bot:pw@db.example:5432/bot",
        ),
        ("postgresql://bot:pw@db.example/bot", "postgresql+asyncpg://bot:pw@db.example/bot"),
        ("postgresql+asyncpg://bot@db.example/bot", "postgresql+asyncpg://bot@db.example/bot"),
        (
            "postgres://bot@db.example/bot?sslmode=require",
            "postgresql+asyncpg://bot@db.example/bot?ssl=require",
        ),
        ("sqlite:///./bot.sqlite3", "sqlite:///./bot.sqlite3"),
        # The old default, still in .env files: the same file, through the stdlib driver.
        ("sqlite+aiosqlite:///./bot.sqlite3", "sqlite:///./bot.sqlite3"),
        (DEFAULT_DATABASE_URL, DEFAULT_DATABASE_URL),
    ],
)
def test_urls_are_rewritten_for_the_bots_drivers(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_a_password_with_special_characters_survives_normalising() -> None:
    url = "postgres://bot:p%40ss%2Fw0rd@db.example/bot"

    assert normalise_database_url(url) == "postgresql+asyncpg://bot:p%40ss%2Fw0rd@db.example/bot"


def test_redacted_url_hides_the_password() -> None:
    shown = redact("postgresql://bot:s3cret-pw@db.example/bot")

    assert "s3cret-pw" not in shown
    assert "db.example" in shown


def test_redacting_garbage_shows_nothing_of_it() -> None:
    assert "s3cret" not in redact("::s3cret::")


async def test_unreachable_database_pings_false_without_logging_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = await Store.open("postgres://bot:s3cret-pw@127.0.0.1:1/bot", migrate=False)
    try:
        assert await store.ping() is False
    finally:
        await store.close()

    assert "s3cret-pw" not in caplog.text


@pytest.mark.parametrize(
    "url",
    ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:", "sqlite://", "sqlite:///:memory:"],
)
async def test_in_memory_sqlite_is_refused_with_a_hint(url: str) -> None:
    with pytest.raises(ValueError, match="give a file"):
        await Store.open(url)


def test_the_default_database_is_a_file_through_the_standard_library_driver() -> None:
    assert DEFAULT_DATABASE_URL == "sqlite:///./invite-bot.sqlite3"
