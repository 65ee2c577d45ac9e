"""The command line: `check` gives a verdict per part; modes say what they are missing."""

from __future__ import annotations

from pathlib import Path

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
