"""The command line: `check` gives a verdict per part; modes say what they are missing;
bad settings are refused in plain words before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from tests.support.harness import bot_environment, sqlite_url
from tests.support.processes import run_cli


async def test_check_says_ok_for_each_part(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path))
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 0, out
    assert "settings: ok" in out
    assert "slack: ok" in out
    assert "gencove: ok" in out
    assert "database: ok" in out


async def test_check_names_what_is_wrong_without_leaking_keys(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path))
    env.update(GENCOVE_API_KEY="wrong-key-1234567", SLACK_BOT_TOKEN="xoxb-wrong-token-999")
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 1
    assert "slack: FAILED" in out
    assert "invalid_auth" in out
    assert "gencove: FAILED" in out
    assert "wrong-key-1234567" not in out
    assert "xoxb-wrong-token-999" not in out


async def test_socket_mode_without_app_token_says_so(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path))
    code, out = await run_cli(["socket"], env, tmp_path)
    assert code == 2
    assert "SLACK_APP_TOKEN is missing" in out
    assert "Traceback" not in out


async def test_migrate_prepares_the_database_and_can_run_twice(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path))
    for _ in range(2):
        code, out = await run_cli(["migrate"], env, tmp_path)
        assert code == 0, out
        assert "up to date" in out


# -- settings refused before anything starts ----------------------------------------


@pytest.mark.parametrize("mode", ["serve", "watch", "migrate", "check"])
@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "mysql://bot:db-secret-42@127.0.0.1/invites",
            "DATABASE_URL names a database the bot cannot use (mysql://): use SQLite or PostgreSQL",
        ),
        (
            "postgresql+psycopg2://bot:db-secret-42@127.0.0.1/invites",
            "DATABASE_URL names a database the bot cannot use (postgresql+psycopg2://)",
        ),
        ("sqlite:///:memory:", "DATABASE_URL is an in-memory SQLite database"),
        ("db-secret-42", "DATABASE_URL is not a database URL"),
    ],
)
async def test_a_database_url_the_bot_cannot_use_is_refused_naming_the_variable(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path, mode: str, url: str, said: str
) -> None:
    code, out = await run_cli([mode], bot_environment(gencove, slack, url), tmp_path)
    assert code == 2, out
    assert out.startswith("invite-bot cannot start: fix these settings"), out
    assert said in out
    assert "db-secret-42" not in out
    assert "Traceback" not in out
    assert sorted(tmp_path.iterdir()) == []  # nothing started, nothing written
    assert slack.calls == []  # not even Slack was asked


async def test_an_out_of_range_number_gets_one_plain_sentence(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), WATCH_INTERVAL="-5", PORT="eighty")
    code, out = await run_cli(["serve"], env, tmp_path)
    assert code == 2, out
    lines = out.splitlines()
    assert lines[0] == "invite-bot cannot start: fix these settings (environment or .env file):"
    assert (
        "  - WATCH_INTERVAL must be a number from 0.05 to 86400 "
        "(seconds between Gencove polls; 60 by default)"
    ) in lines
    assert "  - PORT must be a whole number from 1 to 65535 (the TCP port to listen on)" in lines
    assert len(lines) == 3, out
    assert "greater than or equal" not in out
    assert "valid integer" not in out
