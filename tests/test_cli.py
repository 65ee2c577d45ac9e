"""The command line, run as a person runs it (`python -m invite_bot` processes): `check`
gives a verdict per part, fails on any failure and changes nothing; modes say what they
are missing; bad settings are refused in plain words before anything starts; bare
`invite-bot` lists the commands, and every flag has help."""

from __future__ import annotations

import contextlib
import re
import socket
import sqlite3
from pathlib import Path

import pytest

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack
from invite_bot.store.migrate import HEAD_REVISION
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


# -- check: a verdict per part, non-zero on any failure, and it changes nothing -------


def closed_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def revision_of(database: Path) -> str:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])


async def test_check_creates_no_database(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    """With the default DATABASE_URL (a file in the current folder) and with a named one:
    said, not created."""
    env = bot_environment(gencove, slack, "unused")
    del env["DATABASE_URL"]
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 0, out
    creates = "`invite-bot migrate`, or the first start, creates"
    assert f"database: ok (none yet: {creates} {tmp_path / 'invite-bot.sqlite3'})" in out
    env["DATABASE_URL"] = sqlite_url(tmp_path)
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 0, out
    assert "database: ok (none yet" in out
    assert sorted(tmp_path.iterdir()) == []


async def test_check_reads_a_database_without_migrating_it_or_leaving_files(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path))
    code, out = await run_cli(["migrate"], env, tmp_path)
    assert code == 0, out
    database = tmp_path / "bot.sqlite3"
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.execute("UPDATE alembic_version SET version_num = '0001'")  # an older bot's schema
    before = sorted(tmp_path.iterdir())
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 0, out
    assert (
        f"schema 0001; `invite-bot migrate`, or the first start, brings it to {HEAD_REVISION})"
        in out
    )
    assert revision_of(database) == "0001"
    assert sorted(tmp_path.iterdir()) == before  # no -wal or -shm left behind


async def test_check_fails_on_a_schema_newer_than_it_knows(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    env = bot_environment(gencove, slack, sqlite_url(tmp_path))
    assert (await run_cli(["migrate"], env, tmp_path))[0] == 0
    with contextlib.closing(sqlite3.connect(tmp_path / "bot.sqlite3")) as db, db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 1, out
    assert "database: FAILED" in out
    assert f"has schema 0099, newer than this version knows ({HEAD_REVISION})" in out


async def test_check_fails_on_a_database_it_cannot_reach_without_showing_its_password(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    port = closed_port_url().rsplit(":", 1)[1]
    url = f"postgresql://bot:pg-secret-771@127.0.0.1:{port}/invites"
    code, out = await run_cli(["check"], bot_environment(gencove, slack, url), tmp_path)
    assert code == 1, out
    assert (
        f"database: FAILED, cannot read postgresql://bot:***@127.0.0.1:{port}/invites (unreachable)"
        in out
    )
    assert "pg-secret-771" not in out
    assert "Traceback" not in out


async def test_check_names_the_gencove_url_it_tried_and_why_it_failed(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    nowhere = closed_port_url()
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), GENCOVE_API_URL=nowhere)
    env["GENCOVE_MAX_RETRIES"] = "0"
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 1, out
    assert f"gencove: FAILED, cannot reach {nowhere} (no connection could be made)" in out
    assert "slack: ok" in out  # only Gencove failed, and that was enough

    env = bot_environment(gencove, slack, sqlite_url(tmp_path), GENCOVE_API_KEY="wrong-7777")
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 1, out
    assert f"gencove: FAILED, {gencove.url} refused GENCOVE_API_KEY (401: " in out
    assert "wrong-7777" not in out

    code, out = await run_cli(
        ["check"], bot_environment(gencove, slack, sqlite_url(tmp_path)), tmp_path
    )
    assert code == 0, out
    assert f"at {gencove.url})" in out


async def test_check_names_the_slack_url_it_could_not_reach(
    gencove: FakeGencove, slack: FakeSlack, tmp_path: Path
) -> None:
    nowhere = closed_port_url() + "/api/"
    env = bot_environment(gencove, slack, sqlite_url(tmp_path), SLACK_API_URL=nowhere)
    code, out = await run_cli(["check"], env, tmp_path)
    assert code == 1, out
    assert f"slack: FAILED, cannot reach {nowhere}" in out
    assert "gencove: ok" in out


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


async def test_migrate_needs_only_the_database_url(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    code, out = await run_cli(["migrate"], {"DATABASE_URL": f"sqlite:///{database}"}, tmp_path)
    assert code == 0, out
    assert "up to date" in out
    assert revision_of(database) == HEAD_REVISION


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


# -- the commands and their flags ------------------------------------------------------

COMMANDS = ("serve", "socket", "watch", "check", "migrate", "playground")


async def test_bare_invite_bot_lists_the_commands(tmp_path: Path) -> None:
    code, out = await run_cli([], {}, tmp_path)
    assert code == 2, out  # a command is required, as for any usage error
    assert out.startswith("usage: invite-bot"), out
    assert "error:" not in out
    listed = {
        line.split()[0]: line
        for line in out.splitlines()
        if line.startswith("    ") and line.split()
    }
    for command in COMMANDS:
        assert command in listed, f"{command} not listed:\n{out}"


OPTION = re.compile(r"^  (-\S.*?)(?:\s{2,}(\S.*))?$")


@pytest.mark.parametrize("command", COMMANDS)
async def test_every_flag_has_help(command: str, tmp_path: Path) -> None:
    code, out = await run_cli([command, "--help"], {}, tmp_path)
    assert code == 0, out
    lines = out.splitlines()
    start = lines.index("options:")
    flags: list[str] = []
    for index, line in enumerate(lines[start + 1 :], start + 1):
        if not line.strip():
            break
        found = OPTION.match(line)
        if found is None:
            continue  # the rest of a flag's help, wrapped
        follows = lines[index + 1] if index + 1 < len(lines) else ""
        wrapped = follows.startswith(" " * 6) and bool(follows.strip())
        has_help = found[2] is not None or wrapped
        assert has_help, f"`invite-bot {command}`: {found[1]} has no help\n{out}"
        flags.append(found[1])
    assert "-h, --help" in flags
